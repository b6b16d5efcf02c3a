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
    /** Checks skipped after a forced collection. */
    static final int BACKOFF_CHECKS = 100;

    private static final long LIMIT = parseBytes(RuntimeOptions.get(RuntimeOptions.MAX_RSS));
    private static int quietChecks;
    private static long collections;

    private MemoryGuard() {}

    public static long limit() {
        return LIMIT;
    }

    /** Called once per step by every training engine; costs one read of /proc/self/statm when a bound is set. */
    public static synchronized void check() {
        if (LIMIT <= 0) return;
        if (quietChecks > 0) {
            quietChecks--;
            return;
        }
        if (Pointer.physicalBytes() <= LIMIT) return;
        System.gc(); // phantom references of collected ND4J buffers let its deallocator threads free the native memory
        collections++;
        // They free it asynchronously, and a process whose live data needs more than the bound must not collect on
        // every step: look again after a while.
        quietChecks = BACKOFF_CHECKS;
    }

    /** Collections forced so far in this process. */
    public static synchronized long collections() {
        return collections;
    }

    /** "6g", "1536m", "512k" or plain bytes. */
    static long parseBytes(String s) {
        return s.isBlank() ? 0 : RuntimeOptions.bytes(RuntimeOptions.MAX_RSS, s);
    }
}
