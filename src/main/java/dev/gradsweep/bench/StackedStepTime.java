package dev.gradsweep.bench;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.store.OutputDir;
import java.io.IOException;

/** The stacked figure of {@code bench}: ms per run-step of {@link BenchVariants#STACK} copies of a net trained as one stack. */
public final class StackedStepTime {
    /**
     * Rounds (at most; fewer when --rounds asks for fewer) and steps of the stacked figure: few, since a step of a
     * stack of 32 wide nets trains 32 runs at once, and the figure is a cost per run-step, not a paired ratio.
     */
    public static final int ROUNDS = 5, STEPS = 10;

    private StackedStepTime() {}

    /**
     * ms per run-step of {@code variant} (stacked or its portable path), {@link BenchVariants#STACK} copies of {@code
     * rc} (seeds differ) trained as one stack, statistics to Parquet; the median of {@code min(ROUNDS, rounds)} rounds.
     */
    static double of(RunConfig rc, OutputDir scratch, String variant, int rounds) throws IOException {
        try (BenchVariants v = new BenchVariants(rc, scratch)) {
            Runnable stack = v.of(variant);
            StepTimer.msPerStep(stack, STEPS); // warm-up
            double[] t = new double[Math.min(ROUNDS, rounds)];
            for (int r = 0; r < t.length; r++) t[r] = StepTimer.msPerStep(stack, STEPS) / BenchVariants.STACK;
            return Quantiles.median(t);
        }
    }
}
