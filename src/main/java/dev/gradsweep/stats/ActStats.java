package dev.gradsweep.stats;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.simd.Simd;

/**
 * Reductions of one layer's activation output a_l over a [batch × units] minibatch: mean, std, the saturated
 * fraction (|f'(z)| below 1 % of its maximum, for squashing functions), the exactly-zero fraction, the dead
 * fraction (units that are zero for every example) and the mean of f'(z)² (from a, where a determines f').
 * Mergeable over row blocks of the batch.
 */
public final class ActStats {
    /** |f'(z)| / max|f'| below this counts as saturated. */
    public static final double SATURATION_THRESHOLD = 0.01;

    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[1024]);

    public final int units;
    public long count, saturated, zeros;
    public double sum, sumSq, slopeSqSum = Double.NaN;
    /** Per unit: true while every example seen so far had a == 0. */
    final boolean[] allZero;

    final boolean hasSaturation;

    public ActStats(int units, boolean hasSaturation) {
        this.units = units;
        this.hasSaturation = hasSaturation;
        this.allZero = new boolean[units];
        java.util.Arrays.fill(allZero, true);
    }

    /**
     * Adds rows [rowFrom, rowTo) of a [rows × units] array; {@code act} produced it (null: no function, so no
     * saturation and no slope).
     */
    public void add(HostArray a, int rowFrom, int rowTo, Activation act) {
        Slope slope = Slope.of(act);
        double[] mh = unsaturatedMidHalf(act);
        double mid = mh[0], half = mh[1];
        double[] acc = new double[Simd.A_SLOTS];
        if (Simd.ENABLED && a.isFloat() && slope.act == null) addSimd(a, rowFrom, rowTo, slope, mid, half, acc);
        else addScalar(a, rowFrom, rowTo, slope, mid, half, acc);
        count += (long) (rowTo - rowFrom) * units;
        sum += acc[Simd.A_SUM];
        sumSq += acc[Simd.A_SUM_SQ];
        saturated += hasSaturation ? (long) acc[Simd.A_SATURATED] : 0;
        zeros += (long) acc[Simd.A_ZEROS];
        if (slope != Slope.NONE)
            slopeSqSum = Double.isNaN(slopeSqSum) ? acc[Simd.A_SLOPE_SQ] : slopeSqSum + acc[Simd.A_SLOPE_SQ];
    }

    /** Unsaturated is |a − mid| < half: one compare, the same arithmetic in every loop (NaN counts as saturated). */
    static double[] unsaturatedMidHalf(Activation act) {
        double[] bounds = act == null
                ? new double[] {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY}
                : act.unsaturatedOutputs(SATURATION_THRESHOLD);
        return new double[] {(bounds[0] + bounds[1]) / 2, (bounds[1] - bounds[0]) / 2};
    }

    private void addScalar(HostArray a, int rowFrom, int rowTo, Slope slope, double mid, double half, double[] acc) {
        double s = 0, s2 = 0, d2 = 0;
        long sat = 0, z = 0;
        int rows = rowTo - rowFrom;
        double[] v = SCRATCH.get();
        if (v.length < Math.max(rows, units)) SCRATCH.set(v = new double[Math.max(rows, units)]);
        // Walk the array in storage order: a unit's column is contiguous in column-major arrays, a row in row-major.
        // Counts are branch-free: exact zeros are a coin flip on ReLU nets and a mispredicted branch per element
        // would cost more than the sums.
        if (a.columnMajor) {
            for (int u = 0; u < units; u++) {
                a.read(u * a.rows + rowFrom, rows, v);
                long zu = 0;
                for (int i = 0; i < rows; i++) {
                    double x = v[i];
                    s += x;
                    s2 += x * x;
                    zu += x == 0.0 ? 1 : 0;
                    sat += Math.abs(x - mid) < half ? 0 : 1;
                    double d = slope.of(x);
                    d2 += d * d;
                }
                z += zu;
                allZero[u] &= zu == rows;
            }
        } else {
            for (int r = rowFrom; r < rowTo; r++) {
                a.read(r * units, units, v);
                for (int u = 0; u < units; u++) {
                    double x = v[u];
                    s += x;
                    s2 += x * x;
                    boolean zx = x == 0.0;
                    z += zx ? 1 : 0;
                    allZero[u] &= zx;
                    sat += Math.abs(x - mid) < half ? 0 : 1;
                    double d = slope.of(x);
                    d2 += d * d;
                }
            }
        }
        acc[Simd.A_SUM] = s;
        acc[Simd.A_SUM_SQ] = s2;
        acc[Simd.A_ZEROS] = z;
        acc[Simd.A_SATURATED] = sat;
        acc[Simd.A_SLOPE_SQ] = d2;
    }

    /**
     * {@link #addScalar} for float32 arrays with the SIMD loops (slopes that are a step or a quadratic in a). The
     * rows' values are one contiguous run in either storage order (unless a column-major array is cut into row
     * ranges), so the sums take a few long loops; dead units are then found by scanning the units that are still
     * all-zero up to their first nonzero value, which on a live unit is within a few values.
     */
    private void addSimd(HostArray a, int rowFrom, int rowTo, Slope slope, double mid, double half, double[] acc) {
        int rows = rowTo - rowFrom;
        int kind = slope == Slope.NONE ? Simd.SLOPE_NONE : slope.step ? Simd.SLOPE_STEP : Simd.SLOPE_QUADRATIC;
        Simd.Form form = new Simd.Form(mid, half, hasSaturation, kind, slope.c0, slope.c1, slope.c2);
        if (a.columnMajor && rows != a.rows) {
            // A unit's rows are one run here, reduced on their own: the unit is dead in them when all are zeros.
            for (int u = 0; u < units; u++)
                allZero[u] &= Simd.activations(a.floats(u * a.rows + rowFrom), rows, form, acc) == rows;
            return;
        }
        int start = a.columnMajor ? rowFrom : rowFrom * units, end = start + rows * units;
        for (int at = start; at < end; at += HostArray.BLOCK)
            Simd.activations(a.floats(at), Math.min(HostArray.BLOCK, end - at), form, acc);
        // Dead units: in a column-major array a unit's rows are contiguous, one scan each; in a row-major one (DL4J's
        // dense outputs) units are scanned side by side, row by row.
        if (a.columnMajor) {
            for (int u = 0; u < units; u++)
                if (allZero[u]) allZero[u] = Simd.allZero(a.floats(u * a.rows + rowFrom), rows);
        } else {
            Simd.clearLiveUnits(a.floats(rowFrom * units), rows, units, allZero, new int[units]);
        }
    }

    /**
     * f'(z) from a = f(z) in the hot loop: the common activations as a quadratic in a or a step, the others
     * through {@link Activation#derivativeFromOutput}; the loop-invariant branches cost nothing once predicted.
     */
    static final class Slope {
        static final Slope NONE = new Slope(null, 0, 0, 0, false);
        final Activation act;
        final double c0, c1, c2;
        final boolean step;

        private Slope(Activation act, double c0, double c1, double c2, boolean step) {
            this.act = act;
            this.c0 = c0;
            this.c1 = c1;
            this.c2 = c2;
            this.step = step;
        }

        static Slope of(Activation act) {
            if (act == null || !act.hasDerivativeFromOutput()) return NONE;
            switch (act) {
                case SIGMOID:
                    return new Slope(null, 0, 1, -1, false);
                case TANH:
                    return new Slope(null, 1, 0, -1, false);
                case IDENTITY:
                    return new Slope(null, 1, 0, 0, false);
                case RELU:
                    return new Slope(null, 0, 0, 0, true);
                case LEAKYRELU:
                    return new Slope(null, 0.01, 0, 0, true);
                default:
                    return new Slope(act, 0, 0, 0, false);
            }
        }

        double of(double x) {
            if (this == NONE) return 0;
            if (act != null) return act.derivativeFromOutput(x);
            return step ? (x > 0 ? 1 : c0) : c0 + x * (c1 + c2 * x);
        }
    }

    public ActStats merge(ActStats o) {
        ActStats m = new ActStats(units, hasSaturation);
        m.count = count + o.count;
        m.sum = sum + o.sum;
        m.sumSq = sumSq + o.sumSq;
        m.saturated = saturated + o.saturated;
        m.zeros = zeros + o.zeros;
        m.slopeSqSum = Double.isNaN(slopeSqSum)
                ? o.slopeSqSum
                : Double.isNaN(o.slopeSqSum) ? slopeSqSum : slopeSqSum + o.slopeSqSum;
        for (int u = 0; u < units; u++) m.allZero[u] = allZero[u] && o.allZero[u];
        return m;
    }

    public double mean() {
        return count == 0 ? 0 : sum / count;
    }

    /** Population standard deviation over every element of the batch. */
    public double std() {
        if (count == 0) return 0;
        double m = mean();
        return Math.sqrt(Math.max(0, sumSq / count - m * m));
    }

    /** NaN for activations without a saturation regime (recorded as null). */
    public double saturatedFrac() {
        return hasSaturation && count > 0 ? (double) saturated / count : Double.NaN;
    }

    /** Mean of f'(z)² over the batch and units; NaN when the output does not determine f'. */
    public double slopeSqMean() {
        return count > 0 ? slopeSqSum / count : Double.NaN;
    }

    public double zeroFrac() {
        return count == 0 ? 0 : (double) zeros / count;
    }

    public double deadFrac() {
        int d = 0;
        for (boolean b : allZero) if (b) d++;
        return units == 0 ? 0 : (double) d / units;
    }
}
