package dev.gradsweep.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A variant's median ms/step over rounds, the median and quartiles of its per-round ratio to the reference variant
 * ({@link BenchVariants#BARE} in the bench), and the ratio of total times ({@code sum} and {@code bareSum}: the
 * rounds' ms/step summed): the medians leave out rare slow rounds (a Parquet page being encoded, a collection), the
 * total counts them, along with the machine's own hiccups.
 */
record PairedTiming(double ms, double ratio, double q1, double q3, double sum, double bareSum) {
    double total() {
        return sum / bareSum;
    }

    /** Counts work done after the rounds (on the rounds' scale: ms / steps per round) in the total. */
    PairedTiming plus(double msPerStepOfRound) {
        return new PairedTiming(ms, ratio, q1, q3, sum + msPerStepOfRound, bareSum);
    }

    /**
     * The paired timing of every variant: {@code msPerStep[k][r]} is variant {@code names.get(k)}'s ms/step in round
     * r, and row 0 is the reference each round's ratio is taken to.
     */
    static Map<String, PairedTiming> of(List<String> names, double[][] msPerStep) {
        double[] bare = msPerStep[0];
        Map<String, PairedTiming> m = new LinkedHashMap<>();
        for (int k = 0; k < names.size(); k++) {
            double[] t = msPerStep[k];
            double[] ratio = new double[t.length];
            for (int r = 0; r < t.length; r++) ratio[r] = t[r] / bare[r];
            m.put(
                    names.get(k),
                    new PairedTiming(
                            Quantiles.median(t),
                            Quantiles.median(ratio),
                            Quantiles.quantile(ratio, 0.25),
                            Quantiles.quantile(ratio, 0.75),
                            Arrays.stream(t).sum(),
                            Arrays.stream(bare).sum()));
        }
        return m;
    }
}
