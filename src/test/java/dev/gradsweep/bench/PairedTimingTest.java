package dev.gradsweep.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bench's paired statistics, against values worked out by hand: each round's ratio to the reference, then its quantiles. */
class PairedTimingTest {
    static final double EPS = 1e-12;

    @Test
    void ratiosArePairedPerRoundNotTakenBetweenMedians() {
        // per-round ratios of "stats" to "bare": 1.5, 1.1, 1.3, 1.2, 1.4; sorted 1.1 1.2 1.3 1.4 1.5
        double[] bare = {10, 20, 10, 40, 10}, stats = {15, 22, 13, 48, 14};
        Map<String, PairedTiming> m = PairedTiming.of(List.of("bare", "stats"), new double[][] {bare, stats});
        assertEquals(List.of("bare", "stats"), List.copyOf(m.keySet()));

        PairedTiming s = m.get("stats");
        assertEquals(15, s.ms(), EPS, "median of 13 14 15 22 48");
        assertEquals(1.3, s.ratio(), EPS, "median ratio; the ratio of the medians would be 15 / 10 = 1.5");
        assertEquals(1.2, s.q1(), EPS, "5 rounds: the first quartile is the 2nd ratio in order");
        assertEquals(1.4, s.q3(), EPS, "and the third the 4th");
        assertEquals(112.0 / 90.0, s.total(), EPS, "total time ratio: (15+22+13+48+14) / (10+20+10+40+10)");

        PairedTiming b = m.get("bare");
        assertEquals(10, b.ms(), EPS);
        assertEquals(1, b.ratio(), EPS);
        assertEquals(1, b.q1(), EPS);
        assertEquals(1, b.q3(), EPS);
        assertEquals(1, b.total(), EPS);
    }

    @Test
    void quartilesInterpolateBetweenRounds() {
        // ratios 1 2 4 8 over 4 rounds: positions 0.75, 1.5 and 2.25 of the sorted ratios
        PairedTiming t = PairedTiming.of(List.of("bare", "x"), new double[][] {{2, 2, 2, 2}, {16, 2, 8, 4}})
                .get("x");
        assertEquals(1 + 0.75 * (2 - 1), t.q1(), EPS);
        assertEquals(2 + 0.5 * (4 - 2), t.ratio(), EPS);
        assertEquals(4 + 0.25 * (8 - 4), t.q3(), EPS);
        assertEquals(6, t.ms(), EPS, "median of 2 4 8 16");
    }

    @Test
    void workAfterTheRoundsCountsInTheTotalOnly() {
        PairedTiming t = PairedTiming.of(List.of("bare", "x"), new double[][] {{1, 1}, {2, 2}})
                .get("x")
                .plus(6);
        assertEquals(10.0 / 2.0, t.total(), EPS, "(2 + 2 + 6) / (1 + 1)");
        assertEquals(2, t.ratio(), EPS);
        assertEquals(2, t.ms(), EPS);
    }
}
