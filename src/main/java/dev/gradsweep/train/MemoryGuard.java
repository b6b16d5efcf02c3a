package dev.gradsweep.train;

import org.bytedeco.javacpp.Pointer;

import java.util.Locale;

/**
 * Bounds the process's resident memory once per training step instead of on every native allocation. ND4J frees
 * its per-op native buffers only when Java collects their owners, so off-heap memory grows until a collection runs;
 * JavaCPP's own bound ({@code org.bytedeco.javacpp.maxPhysicalBytes}) reads /proc/self/statm on every allocation,
 * which profiled at 35-37 % of a 50 x 10 step. With that bound set to 0, this guard reads the process size once a
 * step and asks for a collection when it is above {@value #PROPERTY} (bin/gradsweep: GRADSWEEP_MAX_RSS). Off when
 * the property is absent or 0.
 */
public final class MemoryGuard {
    /** System property: the resident-size bound, bytes or with a k/m/g suffix (as JavaCPP's). */
    public static final String PROPERTY = "gradsweep.maxRss";
    /** After a collection that did not bring the process under the bound, wait this many checks before the next. */
    static final int BACKOFF_CHECKS = 100;

    private static final long LIMIT = parseBytes(System.getProperty(PROPERTY, "0"));
    private static int quietChecks;
    private static boolean warned;

    private MemoryGuard() {
    }

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
        System.gc(); // phantom references of collected ND4J buffers let their deallocator free the native memory
        if (Pointer.physicalBytes() > LIMIT) {
            quietChecks = BACKOFF_CHECKS; // still above: the live data needs it; do not collect on every step
            if (!warned) {
                warned = true;
                System.err.printf(Locale.ROOT, "gradsweep: process size %d MB stays above %s = %d MB after a collection%n",
                        Pointer.physicalBytes() >> 20, PROPERTY, LIMIT >> 20);
            }
        }
    }

    /** "6g", "1536m", "512k" or plain bytes. */
    static long parseBytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) return 0;
        long unit = 1;
        char last = t.charAt(t.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g' || last == 't') {
            unit = 1L << (10 * ("kmgt".indexOf(last) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(t) * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + ": not a size: \"" + s + "\" (bytes, or a number with k, m, g or t)");
        }
    }
}
