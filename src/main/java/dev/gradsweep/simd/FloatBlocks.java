package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD inner loops of the statistics over one block of float32 values (the scalar loops in {@code ParamStats} and
 * {@code ActStats} are the reference and the fallback). The values are loaded straight from the array's host memory
 * (ND4J's buffer as a native-order {@link ByteBuffer}, indexed in elements): copying each block into a Java array
 * first took as long as the reductions themselves. Every float is widened to double in a register before it is squared or summed, so the sums accumulate in
 * double exactly like the scalar loops, only in a different order; maxima and counts are exact. A float vector and
 * a double vector of the same lane count are paired so that the widening is one instruction. Only touch this class
 * when {@link Simd#ENABLED} is true: it needs the incubator module {@code jdk.incubator.vector}.
 *
 * <p>Counts are kept in float lanes within a block: exact while a lane counts fewer than 2^24, i.e. for blocks of
 * fewer than 2^24 · lanes values ({@code HostArray.BLOCK} is far below).
 */
final class FloatBlocks {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int LANES = D.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int ABS_BITS = 0x7fffffff;

    private FloatBlocks() {}

    // Every widening is written out at its use, F2D with the constant species: C2 replaces it with one instruction
    // only where it sees the vector's exact class; a helper method compiled on its own (as a profile showed `wide`
    // was) falls back to the Java implementation, boxing the lanes through arrays.

    /**
     * Gradient elements [at, at + n) of {@code g} into {@code acc}, indexed by {@link Simd}'s G_* constants.
     * Non-finite values are counted by a scalar rescan, only when the block's sum of squares is not finite: the
     * double square of a finite float is at most 1.2e77, so the sum is finite exactly when every value is.
     */
    static void gradient(ByteBuffer g, int at, int n, double[] acc) {
        DoubleVector s2 = DoubleVector.zero(D), sa = s2, s = s2;
        FloatVector mx = FloatVector.zero(F), zc = mx, one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fg = FloatVector.fromByteBuffer(F, g, (at + i) << 2, NATIVE);
            FloatVector fa = fg.abs();
            mx = mx.blend(fa, fa.compare(VectorOperators.GT, mx)); // NaN compares false: it never wins the max
            zc = zc.add(one, fg.compare(VectorOperators.EQ, 0f));
            DoubleVector dg = (DoubleVector) fg.convertShape(VectorOperators.F2D, D, 0);
            s2 = dg.fma(dg, s2);
            sa = sa.add(dg.abs());
            s = s.add(dg);
        }
        double sumSq = s2.reduceLanes(VectorOperators.ADD), sumAbs = sa.reduceLanes(VectorOperators.ADD);
        double sum = s.reduceLanes(VectorOperators.ADD);
        double max = Math.max(acc[Simd.G_MAX_ABS], mx.reduceLanes(VectorOperators.MAX));
        long zeros = (long) zc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double v = g.getFloat((at + i) << 2), a = Math.abs(v);
            sumSq += v * v;
            sumAbs += a;
            sum += v;
            max = a > max ? a : max;
            zeros += v == 0.0 ? 1 : 0;
        }
        if (!Double.isFinite(sumSq))
            for (int j = 0; j < n; j++) acc[Simd.G_NONFINITE] += Float.isFinite(g.getFloat((at + j) << 2)) ? 0 : 1;
        acc[Simd.G_SUM_SQ] += sumSq;
        acc[Simd.G_SUM_ABS] += sumAbs;
        acc[Simd.G_SUM] += sum;
        acc[Simd.G_MAX_ABS] = max;
        acc[Simd.G_ZEROS] += zeros;
    }

    /**
     * The parameter step p[pAt + i] ← p[pAt + i] − u[uAt + i] for i in [0, n) (float32 subtraction, as ND4J's),
     * adding Σu² to acc[0] and Σ of the new p² to acc[1].
     */
    static void step(ByteBuffer p, int pAt, ByteBuffer u, int uAt, int n, double[] acc) {
        DoubleVector u2 = DoubleVector.zero(D), p2 = u2;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fu = FloatVector.fromByteBuffer(F, u, (uAt + i) << 2, NATIVE);
            FloatVector fp =
                    FloatVector.fromByteBuffer(F, p, (pAt + i) << 2, NATIVE).sub(fu);
            fp.intoByteBuffer(p, (pAt + i) << 2, NATIVE);
            DoubleVector du = (DoubleVector) fu.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector dp = (DoubleVector) fp.convertShape(VectorOperators.F2D, D, 0);
            u2 = du.fma(du, u2);
            p2 = dp.fma(dp, p2);
        }
        double su = u2.reduceLanes(VectorOperators.ADD), sp = p2.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float uv = u.getFloat((uAt + i) << 2), np = p.getFloat((pAt + i) << 2) - uv;
            p.putFloat((pAt + i) << 2, np);
            su += (double) uv * uv;
            sp += (double) np * np;
        }
        acc[0] += su;
        acc[1] += sp;
    }

    /**
     * x[xAt + i] ← x[xAt + i] · f for i in [0, n) and, with {@code p} non-null, then p[pAt + i] ← p[pAt + i] −
     * x[xAt + i]: float32 products and differences, as ND4J's {@code muli} and {@code subi} compute them.
     */
    static void scale(ByteBuffer x, int xAt, float f, ByteBuffer p, int pAt, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fx =
                    FloatVector.fromByteBuffer(F, x, (xAt + i) << 2, NATIVE).mul(f);
            fx.intoByteBuffer(x, (xAt + i) << 2, NATIVE);
            if (p != null)
                FloatVector.fromByteBuffer(F, p, (pAt + i) << 2, NATIVE)
                        .sub(fx)
                        .intoByteBuffer(p, (pAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = x.getFloat((xAt + i) << 2) * f;
            x.putFloat((xAt + i) << 2, v);
            if (p != null) p.putFloat((pAt + i) << 2, p.getFloat((pAt + i) << 2) - v);
        }
    }

    /**
     * z[zAt + i] ← z[zAt + i] + b[bAt + i], then a[aAt + i] ← relu of it, for i in [0, n): a float32 sum, as ND4J's
     * broadcast add, and DL4J's ReLU, which keeps every value not below zero as it is (−0 and NaN too) and writes +0
     * for the others.
     */
    static void biasRelu(ByteBuffer z, int zAt, ByteBuffer b, int bAt, ByteBuffer a, int aAt, int n) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(F, z, (zAt + i) << 2, NATIVE)
                    .add(FloatVector.fromByteBuffer(F, b, (bAt + i) << 2, NATIVE));
            v.intoByteBuffer(z, (zAt + i) << 2, NATIVE);
            v.blend(zero, v.compare(VectorOperators.LT, 0f)).intoByteBuffer(a, (aAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = z.getFloat((zAt + i) << 2) + b.getFloat((bAt + i) << 2);
            z.putFloat((zAt + i) << 2, v);
            a.putFloat((aAt + i) << 2, v < 0 ? 0f : v);
        }
    }

    /** a[aAt + i] ← z[zAt + i] below zero → 0, else z (NaN stays NaN: DL4J's ReLU), for i in [0, n). */
    static void relu(ByteBuffer z, int zAt, ByteBuffer a, int aAt, int n) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(F, z, (zAt + i) << 2, NATIVE);
            v.blend(zero, v.compare(VectorOperators.LT, 0f)).intoByteBuffer(a, (aAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = z.getFloat((zAt + i) << 2);
            a.putFloat((aAt + i) << 2, v < 0 ? 0f : v);
        }
    }

    /**
     * into[oAt + i] ← dy[dAt + i] where z[zAt + i] &gt; 0, else +0 (NaN is not above zero), for i in [0, n): DL4J's
     * ReLU derivative; {@code into} may be {@code z}.
     */
    static void reluBackprop(ByteBuffer z, int zAt, ByteBuffer dy, int dAt, ByteBuffer into, int oAt, int n) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fz = FloatVector.fromByteBuffer(F, z, (zAt + i) << 2, NATIVE);
            zero.blend(FloatVector.fromByteBuffer(F, dy, (dAt + i) << 2, NATIVE), fz.compare(VectorOperators.GT, 0f))
                    .intoByteBuffer(into, (oAt + i) << 2, NATIVE);
        }
        for (; i < n; i++)
            into.putFloat((oAt + i) << 2, z.getFloat((zAt + i) << 2) > 0 ? dy.getFloat((dAt + i) << 2) : 0f);
    }

    /** out[oAt + i] ← a[aAt + i] + b[bAt + i] for i in [0, n), one float32 add each; {@code out} may be a or b. */
    static void add(ByteBuffer a, int aAt, ByteBuffer b, int bAt, ByteBuffer out, int oAt, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES)
            FloatVector.fromByteBuffer(F, a, (aAt + i) << 2, NATIVE)
                    .add(FloatVector.fromByteBuffer(F, b, (bAt + i) << 2, NATIVE))
                    .intoByteBuffer(out, (oAt + i) << 2, NATIVE);
        for (; i < n; i++) out.putFloat((oAt + i) << 2, a.getFloat((aAt + i) << 2) + b.getFloat((bAt + i) << 2));
    }

    /**
     * z[zAt + q·n + j] ← z[zAt + q·n + j] + b[bAt + j] for q in [0, rows), j in [0, n): a run's bias row added to each
     * of its rows, one float32 add each (ND4J's broadcast add). Rows of up to two vectors are copied out and back in
     * bulk: a vector pass per row of 10 values costs more than the adds (measured: docs/performance.md).
     */
    static void addToRows(ByteBuffer z, int zAt, int rows, ByteBuffer b, int bAt, int n) {
        if (n > 2 * LANES) {
            for (int q = 0; q < rows; q++) add(z, zAt + q * n, b, bAt, z, zAt + q * n, n);
            return;
        }
        int len = rows * n;
        float[] v = floats(z, zAt, len), tiled = new float[len];
        floats(b, bAt).get(tiled, 0, n);
        for (int have = n; have < len; have *= 2) System.arraycopy(tiled, 0, tiled, have, Math.min(have, len - have));
        for (int i = 0; i < len; i++) v[i] += tiled[i]; // one flat loop, which the JIT vectorises
        floats(z, zAt).put(v);
    }

    /** A float32 view of a buffer from element {@code at} on. */
    private static FloatBuffer floats(ByteBuffer b, int at) {
        return b.duplicate()
                .order(NATIVE)
                .position(at << 2)
                .slice()
                .order(NATIVE)
                .asFloatBuffer();
    }

    /** n float32 values from element {@code at}, copied in bulk. */
    private static float[] floats(ByteBuffer b, int at, int n) {
        float[] v = new float[n];
        floats(b, at).get(v);
        return v;
    }

    /**
     * into[oAt + i] ← ∂L/∂z from a = f(z) and dy = ∂L/∂a, for i in [0, n): the sigmoid's dy·(a·(1 − a)) or, with
     * {@code tanh}, dy·(1 − a·a), in that order of float32 operations (ND4J's sigmoid_bp and tanh_bp, which evaluate
     * f(z) again as the forward did); {@code into} may be {@code a} or {@code dy}.
     */
    static void backpropFromOutput(
            ByteBuffer a, int aAt, ByteBuffer dy, int dAt, ByteBuffer into, int oAt, int n, boolean tanh) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(F, a, (aAt + i) << 2, NATIVE);
            FloatVector slope = tanh ? v.mul(v).neg().add(1f) : v.neg().add(1f).mul(v);
            FloatVector.fromByteBuffer(F, dy, (dAt + i) << 2, NATIVE)
                    .mul(slope)
                    .intoByteBuffer(into, (oAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = a.getFloat((aAt + i) << 2);
            into.putFloat((oAt + i) << 2, dy.getFloat((dAt + i) << 2) * (tanh ? 1f - v * v : v * (1f - v)));
        }
    }

    /**
     * into[iAt + j] ← Σ_r x[xAt + r·n + j] over rows [0, rows), for j in [0, n): column sums of a row-major block,
     * each a float32 sum in row order from 0 (ND4J's reduction over the batch), the rows read in storage order.
     * Rows of up to two vectors are copied out in bulk and summed in Java arrays (see {@link #addToRows}).
     */
    static void sumRows(ByteBuffer x, int xAt, int rows, int n, ByteBuffer into, int iAt) {
        int bound = F.loopBound(n);
        if (n <= 2 * LANES) {
            float[] v = floats(x, xAt, rows * n), acc = new float[n];
            for (int r = 0, at = 0; r < rows; r++) for (int i = 0; i < n; i++) acc[i] += v[at++];
            floats(into, iAt).put(acc);
            return;
        }
        for (int i = 0; i < n; i++) into.putFloat((iAt + i) << 2, 0f);
        for (int r = 0; r < rows; r++) {
            int row = xAt + r * n, i = 0;
            for (; i < bound; i += LANES)
                FloatVector.fromByteBuffer(F, into, (iAt + i) << 2, NATIVE)
                        .add(FloatVector.fromByteBuffer(F, x, (row + i) << 2, NATIVE))
                        .intoByteBuffer(into, (iAt + i) << 2, NATIVE);
            for (; i < n; i++)
                into.putFloat((iAt + i) << 2, into.getFloat((iAt + i) << 2) + x.getFloat((row + i) << 2));
        }
    }

    /**
     * Layer norm's first forward pass over {@code rows} contiguous rows of n values: each row's mean μ, c = x − μ
     * into {@code xhat}, and the mean of c² into {@code var} (one value per row, element index {@code vAt + r}). The
     * means are ND4J's: a float32 sum in element order from 0, then divided by n; each square is rounded before it is
     * added.
     */
    static void layerNormCentre(
            ByteBuffer x, int xAt, ByteBuffer xhat, int hAt, ByteBuffer var, int vAt, int rows, int n) {
        float[] mean = new float[ROWS], t = new float[ROWS * n];
        for (int r = 0; r < rows; r += ROWS) {
            int g = Math.min(ROWS, rows - r), xr = xAt + r * n, hr = hAt + r * n;
            rowSums(x, xr, null, 0, g, n, mean, t);
            for (int q = 0; q < g; q++) {
                float mu = mean[q] / n;
                int i = 0, xo = xr + q * n, ho = hr + q * n;
                for (int bound = F.loopBound(n); i < bound; i += LANES)
                    FloatVector.fromByteBuffer(F, x, (xo + i) << 2, NATIVE)
                            .sub(mu)
                            .intoByteBuffer(xhat, (ho + i) << 2, NATIVE);
                for (; i < n; i++) xhat.putFloat((ho + i) << 2, x.getFloat((xo + i) << 2) - mu);
            }
            rowSums(xhat, hr, xhat, hr, g, n, mean, t);
            for (int q = 0; q < g; q++) var.putFloat((vAt + r + q) << 2, mean[q] / n);
        }
    }

    /**
     * Layer norm's second forward pass over one run's {@code rows} rows of n values: x̂ ← x̂ · inv[r] in place, then
     * y ← x̂ ⊙ γ + β (γ, β: the run's rows of n), each product and sum rounded to float32 as ND4J's ops round them.
     */
    static void layerNormScale(
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer gamma,
            int gAt,
            ByteBuffer beta,
            int bAt,
            ByteBuffer y,
            int yAt,
            int rows,
            int n) {
        for (int r = 0; r < rows; r++) {
            float f = inv.getFloat((iAt + r) << 2);
            int ho = hAt + r * n, yo = yAt + r * n, i = 0;
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                FloatVector h = FloatVector.fromByteBuffer(F, xhat, (ho + i) << 2, NATIVE)
                        .mul(f);
                h.intoByteBuffer(xhat, (ho + i) << 2, NATIVE);
                h.mul(FloatVector.fromByteBuffer(F, gamma, (gAt + i) << 2, NATIVE))
                        .add(FloatVector.fromByteBuffer(F, beta, (bAt + i) << 2, NATIVE))
                        .intoByteBuffer(y, (yo + i) << 2, NATIVE);
            }
            for (; i < n; i++) {
                float h = xhat.getFloat((ho + i) << 2) * f;
                xhat.putFloat((ho + i) << 2, h);
                y.putFloat((yo + i) << 2, h * gamma.getFloat((gAt + i) << 2) + beta.getFloat((bAt + i) << 2));
            }
        }
    }

    /**
     * Layer norm's backward over one run's {@code rows} rows of n values, in one pass over them: dγ ← Σ_rows dy ⊙ x̂
     * and dβ ← Σ_rows dy (the run's rows of n, summed in row order from 0 as ND4J's reduction over the batch), d = dy
     * ⊙ γ, and dx ← ((d − mean(d)) − x̂ · mean(d ⊙ x̂)) · inv[r], the means as {@link #layerNormCentre}'s. Every
     * operation is the float32 one of ND4J's ops, in their order.
     */
    static void layerNormBackward(
            ByteBuffer dy,
            int dAt,
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer gamma,
            int gAt,
            ByteBuffer dGamma,
            int dgAt,
            ByteBuffer dBeta,
            int dbAt,
            ByteBuffer dx,
            int xAt,
            int rows,
            int n) {
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        for (int i = 0; i < n; i++) {
            dGamma.putFloat((dgAt + i) << 2, 0f);
            dBeta.putFloat((dbAt + i) << 2, 0f);
        }
        float[] m1 = new float[ROWS], m2 = new float[ROWS], t = new float[ROWS * n];
        for (int r = 0; r < rows; r += ROWS) {
            int g = Math.min(ROWS, rows - r), dr = dAt + r * n, hr = hAt + r * n, xr = xAt + r * n;
            for (int q = 0; q < g; q++) {
                int d0 = dr + q * n, h0 = hr + q * n, x0 = xr + q * n, i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector e = FloatVector.fromByteBuffer(F, dy, (d0 + i) << 2, NATIVE);
                    FloatVector h = FloatVector.fromByteBuffer(F, xhat, (h0 + i) << 2, NATIVE);
                    FloatVector.fromByteBuffer(F, dGamma, (dgAt + i) << 2, NATIVE)
                            .add(e.mul(h))
                            .intoByteBuffer(dGamma, (dgAt + i) << 2, NATIVE);
                    FloatVector.fromByteBuffer(F, dBeta, (dbAt + i) << 2, NATIVE)
                            .add(e)
                            .intoByteBuffer(dBeta, (dbAt + i) << 2, NATIVE);
                    e.mul(FloatVector.fromByteBuffer(F, gamma, (gAt + i) << 2, NATIVE))
                            .intoByteBuffer(dx, (x0 + i) << 2, NATIVE);
                }
                for (; i < n; i++) {
                    float e = dy.getFloat((d0 + i) << 2), h = xhat.getFloat((h0 + i) << 2);
                    dGamma.putFloat((dgAt + i) << 2, dGamma.getFloat((dgAt + i) << 2) + e * h);
                    dBeta.putFloat((dbAt + i) << 2, dBeta.getFloat((dbAt + i) << 2) + e);
                    dx.putFloat((x0 + i) << 2, e * gamma.getFloat((gAt + i) << 2));
                }
            }
            rowSums(dx, xr, null, 0, g, n, m1, t);
            rowSums(dx, xr, xhat, hr, g, n, m2, t);
            for (int q = 0; q < g; q++) {
                float a = m1[q] / n, b = m2[q] / n, f = inv.getFloat((iAt + r + q) << 2);
                int h0 = hr + q * n, x0 = xr + q * n, i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector h = FloatVector.fromByteBuffer(F, xhat, (h0 + i) << 2, NATIVE);
                    FloatVector.fromByteBuffer(F, dx, (x0 + i) << 2, NATIVE)
                            .sub(a)
                            .sub(h.mul(b))
                            .mul(f)
                            .intoByteBuffer(dx, (x0 + i) << 2, NATIVE);
                }
                for (; i < n; i++)
                    dx.putFloat((x0 + i) << 2, (dx.getFloat((x0 + i) << 2) - a - xhat.getFloat((h0 + i) << 2) * b) * f);
            }
        }
    }

    /**
     * Rows a group of layer norm's passes takes at once: eight independent sums hide the float add's latency (four,
     * read from the buffer, were about as slow as ND4J's own means).
     */
    private static final int ROWS = 8;

    /**
     * out[q] = Σ_j a[aAt + q·n + j] for q in [0, g), g ≤ {@link #ROWS}: a float32 sum in element order from 0, as
     * ND4J's reduction along a row; with {@code b} non-null the terms are the products a·b, each rounded first.
     * Sequential by definition (a different order would round differently), so the g rows' sums run side by side,
     * over a copy of the terms in {@code t} (at least g·n floats).
     */
    private static void rowSums(ByteBuffer a, int aAt, ByteBuffer b, int bAt, int g, int n, float[] out, float[] t) {
        int bound = F.loopBound(n);
        for (int q = 0; q < g; q++) {
            int ao = aAt + q * n, bo = bAt + q * n, i = 0;
            for (; i < bound; i += LANES) {
                FloatVector v = FloatVector.fromByteBuffer(F, a, (ao + i) << 2, NATIVE);
                if (b != null) v = v.mul(FloatVector.fromByteBuffer(F, b, (bo + i) << 2, NATIVE));
                v.intoArray(t, q * n + i);
            }
            for (; i < n; i++)
                t[q * n + i] =
                        b == null ? a.getFloat((ao + i) << 2) : a.getFloat((ao + i) << 2) * b.getFloat((bo + i) << 2);
        }
        if (g == ROWS) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int j = 0; j < n; j++) {
                s0 += t[j];
                s1 += t[n + j];
                s2 += t[2 * n + j];
                s3 += t[3 * n + j];
                s4 += t[4 * n + j];
                s5 += t[5 * n + j];
                s6 += t[6 * n + j];
                s7 += t[7 * n + j];
            }
            out[0] = s0;
            out[1] = s1;
            out[2] = s2;
            out[3] = s3;
            out[4] = s4;
            out[5] = s5;
            out[6] = s6;
            out[7] = s7;
            return;
        }
        for (int q = 0; q < g; q++) {
            float s = 0;
            for (int j = 0; j < n; j++) s += t[q * n + j];
            out[q] = s;
        }
    }

    /** True when elements [at, at + n) are all exactly zero (−0 is zero, NaN is not); stops at the first nonzero. */
    static boolean allZero(ByteBuffer x, int at, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES)
            if (FloatVector.fromByteBuffer(F, x, (at + i) << 2, NATIVE)
                    .compare(VectorOperators.NE, 0f)
                    .anyTrue()) return false;
        for (; i < n; i++) if (x.getFloat((at + i) << 2) != 0f) return false;
        return true;
    }

    /**
     * Dead units of a row-major block: clears allZero[u] for every unit u with a nonzero value (NaN is nonzero, −0
     * is not) in rows [0, rows) of the [rows × units] block at element {@code at}. A float is nonzero exactly when its
     * bits other than the sign are, so the rows' bits are OR-ed into {@code seen} (int per unit, zeroed by the
     * caller), row by row in storage order; every 8 rows it stops if every unit has been seen. Walking each unit's
     * column instead costs a cache line per value.
     */
    static void clearLiveUnits(ByteBuffer x, int at, int rows, int units, boolean[] allZero, int[] seen) {
        int bound = I.loopBound(units);
        for (int r = 0; r < rows; r++) {
            int row = at + r * units, u = 0;
            for (; u < bound; u += LANES)
                IntVector.fromArray(I, seen, u)
                        .or(IntVector.fromByteBuffer(I, x, (row + u) << 2, NATIVE)
                                .and(ABS_BITS))
                        .intoArray(seen, u);
            for (; u < units; u++) seen[u] |= x.getInt((row + u) << 2) & ABS_BITS;
            if ((r & 7) == 7 && allSeen(seen, units)) break;
        }
        for (int u = 0; u < units; u++) allZero[u] &= seen[u] == 0;
    }

    private static boolean allSeen(int[] seen, int units) {
        for (int u = 0; u < units; u++) if (seen[u] == 0) return false;
        return true;
    }

    /** Σ x² of elements [at, at + n), in double. */
    static double sumSq(ByteBuffer x, int at, int n) {
        DoubleVector s2 = DoubleVector.zero(D);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            DoubleVector d = (DoubleVector)
                    FloatVector.fromByteBuffer(F, x, (at + i) << 2, NATIVE).convertShape(VectorOperators.F2D, D, 0);
            s2 = d.fma(d, s2);
        }
        double sum = s2.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double v = x.getFloat((at + i) << 2);
            sum += v * v;
        }
        return sum;
    }

    /**
     * Activation values [off, off + len) of x into {@code acc} (indexed by {@link Simd}'s A_* constants): Σx, Σx²,
     * exact zeros, values with |x − mid| ≥ half (saturated; NaN counts), and the slope f'(z) recovered from a = x:
     * a step (1 for x > 0, else c0) counts positives, a quadratic c0 + c1·x + c2·x² sums its square. Two loops over
     * the block (it stays in L1): the moments and positives always, the saturation band and the quadratic only for
     * forms that have them (a ReLU net's layers skip half the arithmetic).
     *
     * @return the number of exact zeros in the block
     */
    static long activations(ByteBuffer x, int off, int len, Simd.Form f, double[] acc) {
        long zeros = moments(x, off, len, f, acc);
        if (f.saturation() || f.slope() == Simd.SLOPE_QUADRATIC) shape(x, off, len, f, acc);
        return zeros;
    }

    /** Σx, Σx², exact zeros and (for a step slope, from the count of x > 0) Σ slope² into acc; returns the zeros. */
    private static long moments(ByteBuffer x, int off, int len, Simd.Form f, double[] acc) {
        DoubleVector s = DoubleVector.zero(D), s2 = s;
        FloatVector zc = FloatVector.zero(F), pc = zc, one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += LANES) {
            FloatVector fx = FloatVector.fromByteBuffer(F, x, (off + i) << 2, NATIVE);
            zc = zc.add(one, fx.compare(VectorOperators.EQ, 0f));
            pc = pc.add(one, fx.compare(VectorOperators.GT, 0f));
            DoubleVector dx = (DoubleVector) fx.convertShape(VectorOperators.F2D, D, 0);
            s = s.add(dx);
            s2 = dx.fma(dx, s2);
        }
        double sum = s.reduceLanes(VectorOperators.ADD), sumSq = s2.reduceLanes(VectorOperators.ADD);
        long zeros = (long) zc.reduceLanes(VectorOperators.ADD), positives = (long) pc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double v = x.getFloat((off + i) << 2);
            sum += v;
            sumSq += v * v;
            zeros += v == 0.0 ? 1 : 0;
            positives += v > 0 ? 1 : 0;
        }
        acc[Simd.A_SUM] += sum;
        acc[Simd.A_SUM_SQ] += sumSq;
        acc[Simd.A_ZEROS] += zeros;
        if (f.slope() == Simd.SLOPE_STEP) acc[Simd.A_SLOPE_SQ] += positives + f.c0() * f.c0() * (len - positives);
        return zeros;
    }

    /** Saturated values (when the form has a band) and Σ slope² (when the slope is a quadratic) into acc. */
    private static void shape(ByteBuffer x, int off, int len, Simd.Form f, double[] acc) {
        boolean quadratic = f.slope() == Simd.SLOPE_QUADRATIC;
        double mid = f.mid(),
                half = f.half(),
                c0 = quadratic ? f.c0() : 0,
                c1 = quadratic ? f.c1() : 0,
                c2 = quadratic ? f.c2() : 0;
        DoubleVector d2 = DoubleVector.zero(D), inside = d2, oneD = DoubleVector.broadcast(D, 1);
        DoubleVector vmid = DoubleVector.broadcast(D, mid), vhalf = DoubleVector.broadcast(D, half);
        DoubleVector vc0 = DoubleVector.broadcast(D, c0),
                vc1 = DoubleVector.broadcast(D, c1),
                vc2 = DoubleVector.broadcast(D, c2);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += LANES) {
            DoubleVector dx = (DoubleVector)
                    FloatVector.fromByteBuffer(F, x, (off + i) << 2, NATIVE).convertShape(VectorOperators.F2D, D, 0);
            // Both unconditionally (an unused result is dropped, a missing quadratic has zero coefficients): a vector
            // updated under a branch inside the loop was boxed by C2, several times slower.
            inside = inside.add(oneD, dx.sub(vmid).abs().compare(VectorOperators.LT, vhalf)); // NaN: not inside
            DoubleVector d = dx.fma(vc2, vc1).fma(dx, vc0);
            d2 = d.fma(d, d2);
        }
        long saturated = i - (long) inside.reduceLanes(VectorOperators.ADD);
        double slopeSq = d2.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double v = x.getFloat((off + i) << 2);
            saturated += Math.abs(v - mid) < half ? 0 : 1;
            double d = c0 + v * (c1 + c2 * v);
            slopeSq += d * d;
        }
        if (f.saturation()) acc[Simd.A_SATURATED] += saturated;
        if (quadratic) acc[Simd.A_SLOPE_SQ] += slopeSq;
    }
}
