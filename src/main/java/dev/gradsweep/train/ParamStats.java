package dev.gradsweep.train;

/**
 * Reductions of one parameter array's gradient (and its parameter and update L2), accumulated in double. Partial
 * results over pieces of an array {@link #merge} into the result over the whole.
 */
public final class ParamStats {
    public long count;
    public double sumSq, sumAbs, sum, maxAbs;
    public long zeros, nonfinite;
    public double paramSumSq, updateSumSq;

    /** Adds the gradient elements [from, to) of {@code g} and the matching parameter elements of {@code p}. */
    public void addGradient(HostArray g, HostArray p, int from, int to) {
        double s2 = 0, sa = 0, s = 0, mx = maxAbs, p2 = 0;
        long z = 0, bad = 0;
        for (int i = from; i < to; i++) {
            double v = g.get(i);
            double a = Math.abs(v);
            s2 += v * v;
            sa += a;
            s += v;
            if (a > mx) mx = a;
            if (v == 0.0) z++;
            else if (!(a < Double.POSITIVE_INFINITY)) bad++; // NaN or ±Inf; NaN never wins the max
            double q = p.get(i);
            p2 += q * q;
        }
        count += to - from;
        sumSq += s2;
        sumAbs += sa;
        sum += s;
        maxAbs = mx;
        zeros += z;
        nonfinite += bad;
        paramSumSq += p2;
    }

    public void addUpdate(HostArray u, int from, int to) {
        double s2 = 0;
        for (int i = from; i < to; i++) {
            double v = u.get(i);
            s2 += v * v;
        }
        updateSumSq += s2;
    }

    public ParamStats merge(ParamStats o) {
        ParamStats m = new ParamStats();
        m.count = count + o.count;
        m.sumSq = sumSq + o.sumSq;
        m.sumAbs = sumAbs + o.sumAbs;
        m.sum = sum + o.sum;
        m.maxAbs = Math.max(maxAbs, o.maxAbs);
        m.zeros = zeros + o.zeros;
        m.nonfinite = nonfinite + o.nonfinite;
        m.paramSumSq = paramSumSq + o.paramSumSq;
        m.updateSumSq = updateSumSq + o.updateSumSq;
        return m;
    }

    public void reset() {
        count = zeros = nonfinite = 0;
        sumSq = sumAbs = sum = maxAbs = paramSumSq = updateSumSq = 0;
    }

    public double gradL2() { return Math.sqrt(sumSq); }
    public double gradMeanAbs() { return count == 0 ? 0 : sumAbs / count; }
    public double gradMean() { return count == 0 ? 0 : sum / count; }
    public double zeroFrac() { return count == 0 ? 0 : (double) zeros / count; }
    public double paramL2() { return Math.sqrt(paramSumSq); }
    public double updateL2() { return Math.sqrt(updateSumSq); }
}
