package dev.gradsweep.store;

/**
 * The metadata operations of a writer (each Iceberg commit, each file deletion, each lock acquisition, takeover and
 * release), counted so that a test can stop the process after the k-th one and check that nothing committed is lost.
 * Every such operation calls {@link #reached} right after it took effect.
 */
public final class CommitPoints {
    private CommitPoints() {}

    /** @param what the operation that just took effect, for the crash test's message (e.g. "append steps") */
    public static void reached(String what) {}
}
