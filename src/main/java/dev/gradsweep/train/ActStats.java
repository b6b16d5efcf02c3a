package dev.gradsweep.train;

import dev.gradsweep.grid.Activation;

/**
 * Reductions of one layer's activation output a_l over a [batch × units] minibatch: mean, std, the saturated
 * fraction (|f'(z)| below 1 % of its maximum, for squashing functions), the exactly-zero fraction and the dead
 * fraction (units that are zero for every example), the mean of f'(z)² (from a, where a determines f'). Mergeable
 * over row blocks of the batch.
 */
public final class ActStats {
    /** |f'(z)| / max|f'| below this counts as saturated. */
    public static final double SATURATION_THRESHOLD = 0.01;

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

    /** Adds rows [rowFrom, rowTo) of a [rows × units] array; {@code act} produced it (null: no function, no slope). */
    public void add(HostArray a, int rowFrom, int rowTo, Activation act) {
        if (act != null && act.hasDerivativeFromOutput()) addWithSlope(a, rowFrom, rowTo, act);
        else addPlain(a, rowFrom, rowTo);
    }

    private void addPlain(HostArray a, int rowFrom, int rowTo) {
        double s = 0, s2 = 0;
        long z = 0;
        for (int r = rowFrom; r < rowTo; r++) {
            for (int u = 0; u < units; u++) {
                double v = a.get(r, u, units);
                s += v;
                s2 += v * v;
                if (v == 0.0) z++;
                else allZero[u] = false;
            }
        }
        count += (long) (rowTo - rowFrom) * units;
        sum += s;
        sumSq += s2;
        zeros += z;
    }

    private void addWithSlope(HostArray a, int rowFrom, int rowTo, Activation act) {
        double s = 0, s2 = 0, d2 = 0, satBelow = SATURATION_THRESHOLD * act.maxDerivative();
        long sat = 0, z = 0;
        for (int r = rowFrom; r < rowTo; r++) {
            for (int u = 0; u < units; u++) {
                double v = a.get(r, u, units);
                s += v;
                s2 += v * v;
                if (v == 0.0) z++;
                else allZero[u] = false;
                double d = act.derivativeFromOutput(v);
                d2 += d * d;
                if (hasSaturation && Math.abs(d) < satBelow) sat++;
            }
        }
        count += (long) (rowTo - rowFrom) * units;
        sum += s;
        sumSq += s2;
        saturated += sat;
        zeros += z;
        slopeSqSum = Double.isNaN(slopeSqSum) ? d2 : slopeSqSum + d2;
    }

    public ActStats merge(ActStats o) {
        ActStats m = new ActStats(units, hasSaturation);
        m.count = count + o.count;
        m.sum = sum + o.sum;
        m.sumSq = sumSq + o.sumSq;
        m.saturated = saturated + o.saturated;
        m.zeros = zeros + o.zeros;
        m.slopeSqSum = Double.isNaN(slopeSqSum) ? o.slopeSqSum : Double.isNaN(o.slopeSqSum) ? slopeSqSum : slopeSqSum + o.slopeSqSum;
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
    /** Mean of f'(z)² over the batch and units; NaN when the output does not determine f'. */
    public double slopeSqMean() { return count > 0 ? slopeSqSum / count : Double.NaN; }

    public double zeroFrac() { return count == 0 ? 0 : (double) zeros / count; }

    public double deadFrac() {
        int d = 0;
        for (boolean b : allZero) if (b) d++;
        return units == 0 ? 0 : (double) d / units;
    }
}
