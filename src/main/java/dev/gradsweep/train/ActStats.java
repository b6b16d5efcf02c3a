package dev.gradsweep.train;

import dev.gradsweep.grid.Activation;

/**
 * Reductions of one layer's activation output a_l over a [batch × units] minibatch: mean, std, the saturated
 * fraction (|f'(z)| below 1 % of its maximum, for squashing functions), the exactly-zero fraction and the dead
 * fraction (units that are zero for every example). Mergeable over row blocks of the batch.
 */
public final class ActStats {
    /** |f'(z)| / max|f'| below this counts as saturated. */
    public static final double SATURATION_THRESHOLD = 0.01;

    private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[1024]);

    public final int units;
    public long count, saturated, zeros;
    public double sum, sumSq;
    /** Per unit: true while every example seen so far had a == 0. */
    final boolean[] allZero;
    final boolean hasSaturation;

    public ActStats(int units, boolean hasSaturation) {
        this.units = units;
        this.hasSaturation = hasSaturation;
        this.allZero = new boolean[units];
        java.util.Arrays.fill(allZero, true);
    }

    /** Adds rows [rowFrom, rowTo) of a [rows × units] array. */
    public void add(HostArray a, int rowFrom, int rowTo, Activation act) {
        double[] bounds = act.unsaturatedOutputs(SATURATION_THRESHOLD);
        double lo = bounds[0], hi = bounds[1];
        double s = 0, s2 = 0;
        long sat = 0, z = 0;
        int rows = rowTo - rowFrom;
        double[] v = SCRATCH.get();
        if (v.length < Math.max(rows, units)) SCRATCH.set(v = new double[Math.max(rows, units)]);
        // Walk the array in storage order: a unit's column is contiguous in column-major arrays, a row in row-major.
        if (a.columnMajor) {
            for (int u = 0; u < units; u++) {
                a.read(u * a.rows + rowFrom, rows, v);
                long zu = 0;
                for (int i = 0; i < rows; i++) {
                    double x = v[i];
                    s += x;
                    s2 += x * x;
                    zu += x == 0.0 ? 1 : 0; // branch-free: ReLU zeros are a coin flip for the predictor
                    sat += x > lo && x < hi ? 0 : 1;
                }
                z += zu;
                allZero[u] &= zu == rows;
            }
        } else {
            double sb = 0, s2b = 0; // a second lane halves the add-latency chain
            for (int r = rowFrom; r < rowTo; r++) {
                a.read(r * units, units, v);
                int u = 0;
                for (; u + 1 < units; u += 2) {
                    double x = v[u], y = v[u + 1];
                    s += x;
                    sb += y;
                    s2 += x * x;
                    s2b += y * y;
                    boolean zx = x == 0.0, zy = y == 0.0;
                    z += (zx ? 1 : 0) + (zy ? 1 : 0); // branch-free: ReLU zeros are a coin flip for the predictor
                    allZero[u] &= zx;
                    allZero[u + 1] &= zy;
                    sat += (x > lo && x < hi ? 0 : 1) + (y > lo && y < hi ? 0 : 1);
                }
                for (; u < units; u++) {
                    double x = v[u];
                    s += x;
                    s2 += x * x;
                    boolean zx = x == 0.0;
                    z += zx ? 1 : 0;
                    allZero[u] &= zx;
                    sat += x > lo && x < hi ? 0 : 1;
                }
            }
            s += sb;
            s2 += s2b;
        }
        if (!hasSaturation) sat = 0;
        count += (long) (rowTo - rowFrom) * units;
        sum += s;
        sumSq += s2;
        saturated += sat;
        zeros += z;
    }

    public ActStats merge(ActStats o) {
        ActStats m = new ActStats(units, hasSaturation);
        m.count = count + o.count;
        m.sum = sum + o.sum;
        m.sumSq = sumSq + o.sumSq;
        m.saturated = saturated + o.saturated;
        m.zeros = zeros + o.zeros;
        for (int u = 0; u < units; u++) m.allZero[u] = allZero[u] && o.allZero[u];
        return m;
    }

    public double mean() { return count == 0 ? 0 : sum / count; }

    /** Population standard deviation over every element of the batch. */
    public double std() {
        if (count == 0) return 0;
        double m = mean();
        return Math.sqrt(Math.max(0, sumSq / count - m * m));
    }

    /** NaN for activations without a saturation regime (recorded as null). */
    public double saturatedFrac() { return hasSaturation && count > 0 ? (double) saturated / count : Double.NaN; }
    public double zeroFrac() { return count == 0 ? 0 : (double) zeros / count; }

    public double deadFrac() {
        int d = 0;
        for (boolean b : allZero) if (b) d++;
        return units == 0 ? 0 : (double) d / units;
    }
}
