package dev.gradsweep.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Times the variants of one net round by round in one process, each round in a rotated order so that no variant
 * always runs first; the ratio of each round's paired measurements is robust to slow drift of the machine's speed.
 */
final class InterleavedRounds {
    /** Warm-up steps of every variant before the timed rounds, unless the options say otherwise. */
    static final int WARMUP_STEPS = 200;

    private InterleavedRounds() {}

    /**
     * The named variants' paired timings, the first name the reference ({@link BenchVariants#BARE}), after {@code
     * warmup} steps of each.
     */
    static Map<String, PairedTiming> time(BenchVariants v, List<String> names, int rounds, int steps, int warmup)
            throws IOException {
        int n = names.size();
        List<Runnable> step = new ArrayList<>();
        for (String name : names) step.add(v.of(name));
        // Warm-up, interleaved like the rounds: JIT compilation of every path (the statistics and Parquet code is the
        // larger part), workspaces, first allocations. With short rounds a warm-up of one round left C2 busy in the
        // first measured rounds, which then weighed on the statistics' total.
        for (int done = 0; done < warmup; done += steps) for (Runnable s : step) StepTimer.msPerStep(s, steps);
        double[][] t = new double[n][rounds];
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < n; i++) {
                int k = (i + r) % n;
                t[k][r] = StepTimer.msPerStep(step.get(k), steps);
            }
        return PairedTiming.of(names, t);
    }
}
