package dev.gradsweep.stats;

import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.simd.Simd;

/**
 * Reductions of one parameter array's gradient (and its parameter and update L2), accumulated in double. Partial
 * results over pieces of an array {@link #merge} into the result over the whole.
 */
public final class ParamStats {
    public long count;
    public double sumSq, sumAbs, sum, maxAbs;
    public long zeros, nonfinite;
    public double paramSumSq, updateSumSq;

    private static final ThreadLocal<double[][]> SCRATCH =
            ThreadLocal.withInitial(() -> new double[2][HostArray.BLOCK]);

    /**
     * This step's statistics of gradient elements [from, to) of {@code g} times {@code scale} (1/batch turns DL4J's
     * batch-summed gradient into the gradient of the mean loss) and of the parameters they were computed at
     * ({@code p} null: not read, {@link #paramSumSq} is left for the caller).
     */
    public void setGradient(HostArray g, HostArray p, int from, int to, double scale) {
        reset();
        addGradient(g, p, from, to);
        // Scaling after the sums keeps one multiply out of the inner loop.
        sumSq *= scale * scale;
        sumAbs *= scale;
        sum *= scale;
        maxAbs *= scale;
    }

    /** Adds the gradient elements [from, to) of {@code g} and the matching parameter elements of {@code p} (or none). */
    public void addGradient(HostArray g, HostArray p, int from, int to) {
        if (Simd.ENABLED && g.isFloat() && (p == null || p.isFloat())) {
            addGradientSimd(g, p, from, to);
            return;
        }
        double[][] scratch = SCRATCH.get();
        double[] gv = scratch[0], pv = scratch[1];
        // Two independent accumulator lanes halve the add-latency chains; counts are branch-free because exact
        // zeros are common (ReLU nets) and a mispredicted branch per element would cost more than the sums.
        double s2a = 0, s2b = 0, saa = 0, sab = 0, sA = 0, sB = 0, p2a = 0, p2b = 0, mx = maxAbs;
        long z = 0, bad = 0;
        for (int at = from; at < to; at += HostArray.BLOCK) {
            int n = Math.min(HostArray.BLOCK, to - at);
            g.read(at, n, gv);
            if (p != null) p.read(at, n, pv);
            int i = 0;
            for (; i + 1 < n; i += 2) {
                double v = gv[i], w = gv[i + 1];
                double a = Math.abs(v), b = Math.abs(w);
                s2a += v * v;
                s2b += w * w;
                saa += a;
                sab += b;
                sA += v;
                sB += w;
                mx = a > mx ? a : mx; // NaN never wins the max
                mx = b > mx ? b : mx;
                z += (v == 0.0 ? 1 : 0) + (w == 0.0 ? 1 : 0);
                bad += (a < Double.POSITIVE_INFINITY ? 0 : 1) + (b < Double.POSITIVE_INFINITY ? 0 : 1); // NaN or ±Inf
                p2a += pv[i] * pv[i];
                p2b += pv[i + 1] * pv[i + 1];
            }
            for (; i < n; i++) {
                double v = gv[i], a = Math.abs(v);
                s2a += v * v;
                saa += a;
                sA += v;
                mx = a > mx ? a : mx;
                z += v == 0.0 ? 1 : 0;
                bad += a < Double.POSITIVE_INFINITY ? 0 : 1;
                p2a += pv[i] * pv[i];
            }
        }
        double s2 = s2a + s2b, sa = saa + sab, s = sA + sB, p2 = p == null ? 0 : p2a + p2b;
        count += to - from;
        sumSq += s2;
        sumAbs += sa;
        sum += s;
        maxAbs = mx;
        zeros += z;
        nonfinite += bad;
        paramSumSq += p2;
    }

    /** {@link #addGradient} for float32 arrays, with the SIMD loops reading the host memory in place. */
    private void addGradientSimd(HostArray g, HostArray p, int from, int to) {
        double[] acc = new double[Simd.G_SLOTS];
        acc[Simd.G_MAX_ABS] = maxAbs;
        for (int at = from; at < to; at += HostArray.BLOCK)
            Simd.gradient(g.floats(at), Math.min(HostArray.BLOCK, to - at), acc);
        count += to - from;
        sumSq += acc[Simd.G_SUM_SQ];
        sumAbs += acc[Simd.G_SUM_ABS];
        sum += acc[Simd.G_SUM];
        maxAbs = acc[Simd.G_MAX_ABS];
        zeros += (long) acc[Simd.G_ZEROS];
        nonfinite += (long) acc[Simd.G_NONFINITE];
        if (p != null) paramSumSq += p.sumSq(from, to); // a second pass, only without the fused ParamStep
    }

    public void addUpdate(HostArray u, int from, int to) {
        updateSumSq += u.sumSq(from, to);
    }

    /** No update was applied this step: {@link #updateL2()} is NaN (recorded as null), not 0. */
    public void noUpdate() {
        updateSumSq = Double.NaN;
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

    public double gradL2() {
        return Math.sqrt(sumSq);
    }

    public double gradMeanAbs() {
        return count == 0 ? 0 : sumAbs / count;
    }

    public double gradMean() {
        return count == 0 ? 0 : sum / count;
    }

    public double zeroFrac() {
        return count == 0 ? 0 : (double) zeros / count;
    }

    public double paramL2() {
        return Math.sqrt(paramSumSq);
    }

    public double updateL2() {
        return Math.sqrt(updateSumSq);
    }
}
