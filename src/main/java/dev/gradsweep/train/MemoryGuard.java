package dev.gradsweep.train;

import dev.gradsweep.config.RuntimeOptions;
import org.bytedeco.javacpp.Pointer;

/**
 * Bounds the process's resident memory once per training step instead of on every native allocation. ND4J frees
 * its per-op native buffers only when Java collects their owners, so off-heap memory grows until a collection runs;
 * JavaCPP's own bound ({@code org.bytedeco.javacpp.maxPhysicalBytes}) reads /proc/self/statm on every allocation,
 * a large share of a small net's step (docs/performance.md). With that bound set to 0, this guard reads the process size once a
 * step and asks for a collection when it is above {@value #PROPERTY} (bin/gradsweep: GRADSWEEP_MAX_RSS). Off when
 * the property is absent or 0.
 */
public final class MemoryGuard {
    /** System property: the resident-size bound, bytes or with a k/m/g suffix (as JavaCPP's). */
    public static final String PROPERTY = RuntimeOptions.MAX_RSS.key();

    private static final long LIMIT = parseBytes(RuntimeOptions.get(RuntimeOptions.MAX_RSS));
    private static final Bound BOUND = new Bound(LIMIT);
    private static long collections;

    private MemoryGuard() {}

    public static long limit() {
        return LIMIT;
    }

    /** Called once per step by every training engine; costs one read of /proc/self/statm when a bound is set. */
    public static synchronized void check() {
        if (LIMIT <= 0) return;
        if (!BOUND.collect(Pointer.physicalBytes())) return;
        System.gc(); // phantom references of collected ND4J buffers let its deallocator threads free the native memory
        collections++;
    }

    /** Collections forced so far in this process. */
    public static synchronized long collections() {
        return collections;
    }

    /** "6g", "1536m", "512k" or plain bytes. */
    static long parseBytes(String s) {
        return s.isBlank() ? 0 : RuntimeOptions.bytes(RuntimeOptions.MAX_RSS, s);
    }

    /**
     * When to collect, from the resident size at each check. Above the limit it collects; a process whose live data
     * needs more than the limit must not then collect on every step, so the next collection waits until the size has
     * grown {@link #SLACK_DIVISOR 1/8} of the limit above what it was at the first check after the last one (ND4J's
     * deallocator threads free asynchronously). A wait counted in steps (it was 100) let a step that makes GBs of
     * garbage grow the process by 100 × that: the bench's stack of 32 wide nets reached the OOM killer.
     */
    static final class Bound {
        static final int SLACK_DIVISOR = 8;
        private final long limit;
        /** Collect only above this, once above the limit; 0 until a collection left the process above the limit. */
        private long floor;

        private boolean settling;

        Bound(long limit) {
            this.limit = limit;
        }

        /** True when the process should collect now; {@code rss}: its resident size in bytes. */
        boolean collect(long rss) {
            if (settling) { // the first check after a collection: what the process keeps
                settling = false;
                floor = rss + limit / SLACK_DIVISOR;
            }
            if (rss <= limit) floor = 0;
            if (rss <= Math.max(limit, floor)) return false;
            settling = true;
            return true;
        }
    }
}
