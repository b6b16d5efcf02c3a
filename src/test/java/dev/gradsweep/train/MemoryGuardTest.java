package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryGuardTest {
    @Test
    void sizesParseLikeJavaCpps() {
        assertEquals(6L << 30, MemoryGuard.parseBytes("6g"));
        assertEquals(1536L << 20, MemoryGuard.parseBytes("1536M"));
        assertEquals(512L << 10, MemoryGuard.parseBytes("512k"));
        assertEquals(1000, MemoryGuard.parseBytes("1000"));
        assertEquals(0, MemoryGuard.parseBytes(""));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MemoryGuard.parseBytes("6 gigs"));
        assertTrue(e.getMessage().contains(MemoryGuard.PROPERTY), e.getMessage());
    }

    private static final long MB = 1L << 20, LIMIT = 6144 * MB;

    /**
     * A process of {@code live} bytes whose steps each leave {@code garbage} bytes that only a collection frees (by the
     * next check, as ND4J's deallocator threads do): {peak resident size, collections} over {@code checks} steps.
     */
    private static long[] simulate(long live, long garbage, int checks) {
        MemoryGuard.Bound b = new MemoryGuard.Bound(LIMIT);
        long held = 0, peak = 0, collections = 0;
        for (int i = 0; i < checks; i++) {
            held += garbage;
            peak = Math.max(peak, live + held);
            if (b.collect(live + held)) {
                collections++;
                held = 0;
            }
        }
        return new long[] {peak, collections};
    }

    @Test
    void garbageNeverGrowsFarPastTheBound() {
        // 300 MB of garbage a step, as the bench's stack of 32 wide nets made GBs: the process stays within one
        // step's garbage of the bound, however many steps (a wait of 100 steps after a collection reached 36 GB)
        long[] r = simulate(1024 * MB, 300 * MB, 1000);
        assertTrue(r[0] <= LIMIT + 300 * MB, "peak " + r[0] / MB + " MB");
        // (6144 - 1024) / 300 = 17.1: a collection every 18th step
        assertEquals(1000 / 18, r[1]);
    }

    @Test
    void liveDataAboveTheBoundDoesNotCollectEveryStep() {
        // 7 GB live, 100 MB of garbage a step: the first check collects, the next (100 MB held) sets the floor 768 MB
        // (limit / 8) above it, so the next collection comes at 900 MB held, 9 checks later: checks 1, 10, …, 802
        long[] r = simulate(7168 * MB, 100 * MB, 802);
        assertTrue(
                r[0] <= 7168 * MB + 2 * 100 * MB + LIMIT / MemoryGuard.Bound.SLACK_DIVISOR,
                "peak " + r[0] / MB + " MB");
        assertEquals(1 + (802 - 1) / 9, r[1]);
    }

    @Test
    void belowTheBoundNothingIsCollected() {
        assertEquals(0, simulate(1024 * MB, 0, 100)[1]);
        assertEquals(0, simulate(LIMIT - 10 * MB, 1 * MB, 10)[1]);
    }
}
