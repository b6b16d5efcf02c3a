package dev.gradsweep.train.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD inner loops of the statistics over one block of float32 values (the scalar loops in {@code ParamStats} and
 * {@code ActStats} are the reference and the fallback). Every float is widened to double in a register before it is
 * squared or summed, so the sums accumulate in double exactly like the scalar loops, only in a different order;
 * maxima and counts are exact. A float vector and a double vector of the same lane count are paired so that the
 * widening is one instruction. Only touch this class when {@link Simd#ENABLED} is true: it needs the incubator
 * module {@code jdk.incubator.vector}.
 *
 * <p>Counts are kept in float lanes within a block: exact while a lane counts fewer than 2^24, i.e. for blocks of
 * fewer than 2^24 · lanes values ({@code HostArray.BLOCK} is far below).
 */
final class FloatBlocks {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int LANES = D.length();

    private FloatBlocks() {
    }

    // Every widening is written out at its use, F2D with the constant species: C2 replaces it with one instruction
    // only where it sees the vector's exact class; a helper method compiled on its own (as a profile showed `wide`
    // was) falls back to the Java implementation, boxing the lanes through arrays.

    /**
     * Gradient block g[0, n) and its parameters p[0, n) into {@code acc}, indexed by {@link Simd}'s G_* constants.
     * Non-finite values are counted by a scalar rescan, only when the block's sum of squares is not finite: the
     * double square of a finite float is at most 1.2e77, so the sum is finite exactly when every value is.
     */
    static void gradient(float[] g, float[] p, int n, double[] acc) {
        DoubleVector s2 = DoubleVector.zero(D), sa = s2, s = s2, p2 = s2;
        FloatVector mx = FloatVector.zero(F), zc = mx, one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fg = FloatVector.fromArray(F, g, i);
            FloatVector fa = fg.abs();
            mx = mx.blend(fa, fa.compare(VectorOperators.GT, mx)); // NaN compares false: it never wins the max
            zc = zc.add(one, fg.compare(VectorOperators.EQ, 0f));
            DoubleVector dg = (DoubleVector) fg.convertShape(VectorOperators.F2D, D, 0);
            s2 = dg.fma(dg, s2);
            sa = sa.add(dg.abs());
            s = s.add(dg);
            DoubleVector dp = (DoubleVector) FloatVector.fromArray(F, p, i).convertShape(VectorOperators.F2D, D, 0);
            p2 = dp.fma(dp, p2);
        }
        double sumSq = s2.reduceLanes(VectorOperators.ADD), sumAbs = sa.reduceLanes(VectorOperators.ADD);
        double sum = s.reduceLanes(VectorOperators.ADD), pSq = p2.reduceLanes(VectorOperators.ADD);
        double max = Math.max(acc[Simd.G_MAX_ABS], mx.reduceLanes(VectorOperators.MAX));
        long zeros = (long) zc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double v = g[i], a = Math.abs(v);
            sumSq += v * v;
            sumAbs += a;
            sum += v;
            max = a > max ? a : max;
            zeros += v == 0.0 ? 1 : 0;
            pSq += (double) p[i] * p[i];
        }
        if (!Double.isFinite(sumSq)) for (int j = 0; j < n; j++) acc[Simd.G_NONFINITE] += Float.isFinite(g[j]) ? 0 : 1;
        acc[Simd.G_SUM_SQ] += sumSq;
        acc[Simd.G_SUM_ABS] += sumAbs;
        acc[Simd.G_SUM] += sum;
        acc[Simd.G_MAX_ABS] = max;
        acc[Simd.G_ZEROS] += zeros;
        acc[Simd.G_PARAM_SUM_SQ] += pSq;
    }

    /**
     * The parameter step p[i] ← p[i] − u[i] over [0, n) (float32 subtraction, as ND4J's), adding Σu² to acc[0] and
     * Σ of the new p² to acc[1].
     */
    static void step(float[] p, float[] u, int n, double[] acc) {
        DoubleVector u2 = DoubleVector.zero(D), p2 = u2;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fu = FloatVector.fromArray(F, u, i);
            FloatVector fp = FloatVector.fromArray(F, p, i).sub(fu);
            fp.intoArray(p, i);
            DoubleVector du = (DoubleVector) fu.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector dp = (DoubleVector) fp.convertShape(VectorOperators.F2D, D, 0);
            u2 = du.fma(du, u2);
            p2 = dp.fma(dp, p2);
        }
        double su = u2.reduceLanes(VectorOperators.ADD), sp = p2.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float np = p[i] - u[i];
            p[i] = np;
            su += (double) u[i] * u[i];
            sp += (double) np * np;
        }
        acc[0] += su;
        acc[1] += sp;
    }

    /** Σ u² of u[0, n), in double. */
    static double sumSq(float[] u, int n) {
        DoubleVector s2 = DoubleVector.zero(D);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            DoubleVector d = (DoubleVector) FloatVector.fromArray(F, u, i).convertShape(VectorOperators.F2D, D, 0);
            s2 = d.fma(d, s2);
        }
        double sum = s2.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += (double) u[i] * u[i];
        return sum;
    }

    /**
     * Activation values x[off, off + len) into {@code acc} (indexed by {@link Simd}'s A_* constants): Σx, Σx²,
     * exact zeros, values with |x − mid| ≥ half (saturated; NaN counts), and the slope f'(z) recovered from a = x:
     * a step (1 for x > 0, else c0) counts positives, a quadratic c0 + c1·x + c2·x² sums its square. One flat loop
     * per call: vectors carried across an outer loop were boxed by C2 (3x slower).
     *
     * @return the number of exact zeros in the line
     */
    static long activations(float[] x, int off, int len, Simd.Form f, double[] acc) {
        int slope = f.slope();
        boolean saturation = f.saturation(), quadratic = slope == Simd.SLOPE_QUADRATIC;
        double mid = f.mid(), half = f.half(), c0 = f.c0(), c1 = quadratic ? f.c1() : 0, c2 = quadratic ? f.c2() : 0;
        DoubleVector s = DoubleVector.zero(D), s2 = s, d2 = s, inside = s, oneD = DoubleVector.broadcast(D, 1);
        DoubleVector vmid = DoubleVector.broadcast(D, mid), vhalf = DoubleVector.broadcast(D, half);
        DoubleVector vc0 = DoubleVector.broadcast(D, quadratic ? c0 : 0), vc1 = DoubleVector.broadcast(D, c1), vc2 = DoubleVector.broadcast(D, c2);
        FloatVector zc = FloatVector.zero(F), pc = zc, one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += LANES) {
            FloatVector fx = FloatVector.fromArray(F, x, off + i);
            zc = zc.add(one, fx.compare(VectorOperators.EQ, 0f));
            DoubleVector dx = (DoubleVector) fx.convertShape(VectorOperators.F2D, D, 0);
            s = s.add(dx);
            s2 = dx.fma(dx, s2);
            // Everything unconditionally (unused results are dropped; a step's quadratic has zero coefficients): a
            // vector updated under a branch inside the loop was boxed by C2 (relu 0.5 vs 0.2 ns a value).
            inside = inside.add(oneD, dx.sub(vmid).abs().compare(VectorOperators.LT, vhalf)); // NaN: not inside
            pc = pc.add(one, fx.compare(VectorOperators.GT, 0f));
            DoubleVector d = dx.fma(vc2, vc1).fma(dx, vc0);
            d2 = d.fma(d, d2);
        }
        double sum = s.reduceLanes(VectorOperators.ADD), sumSq = s2.reduceLanes(VectorOperators.ADD);
        double slopeSq = d2.reduceLanes(VectorOperators.ADD);
        long saturated = saturation ? i - (long) inside.reduceLanes(VectorOperators.ADD) : 0;
        long zeros = (long) zc.reduceLanes(VectorOperators.ADD), positives = (long) pc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double v = x[off + i];
            sum += v;
            sumSq += v * v;
            zeros += v == 0.0 ? 1 : 0;
            if (saturation) saturated += Math.abs(v - mid) < half ? 0 : 1;
            if (slope == Simd.SLOPE_STEP) positives += v > 0 ? 1 : 0;
            else if (slope == Simd.SLOPE_QUADRATIC) {
                double d = c0 + v * (c1 + c2 * v);
                slopeSq += d * d;
            }
        }
        if (slope == Simd.SLOPE_STEP) slopeSq = positives + c0 * c0 * (len - positives);
        acc[Simd.A_SUM] += sum;
        acc[Simd.A_SUM_SQ] += sumSq;
        acc[Simd.A_ZEROS] += zeros;
        acc[Simd.A_SATURATED] += saturated;
        acc[Simd.A_SLOPE_SQ] += slopeSq;
        return zeros;
    }
}
