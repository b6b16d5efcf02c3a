package dev.gradsweep.sweep;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Native thread budget of one task. Rule (docs/platform-notes.md): OpenMP threads × concurrent tasks ≤ cores; two tasks each
 * running one OpenMP thread per core on 2 cores were 2.3× slower in aggregate than one thread each.
 */
public final class Threads {
    private Threads() {}

    /** Threads per task when {@code concurrentTasks} share {@code cores}. */
    public static int perTask(int cores, int concurrentTasks) {
        return Math.max(1, cores / Math.max(1, concurrentTasks));
    }

    /** Applies the budget to ND4J's op threads and to BLAS in this JVM. */
    public static void apply(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
