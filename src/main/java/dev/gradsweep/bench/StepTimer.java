package dev.gradsweep.bench;

/** The one clock of {@code bench}: wall time per call of a training step. */
final class StepTimer {
    private StepTimer() {}

    /** ms per call of {@code step}, over {@code steps} calls. */
    static double msPerStep(Runnable step, int steps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) step.run();
        return (System.nanoTime() - t0) / 1e6 / steps;
    }
}
