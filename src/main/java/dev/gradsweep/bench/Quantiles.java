package dev.gradsweep.bench;

import java.util.Arrays;

/** Median and quantiles of a sample, linearly interpolated between order statistics. */
public final class Quantiles {
    private Quantiles() {}

    public static double median(double[] v) {
        return quantile(v, 0.5);
    }

    /** Linear-interpolated quantile. */
    public static double quantile(double[] v, double q) {
        double[] c = v.clone();
        Arrays.sort(c);
        double pos = q * (c.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return c[lo] + (pos - lo) * (c[hi] - c[lo]);
    }
}
