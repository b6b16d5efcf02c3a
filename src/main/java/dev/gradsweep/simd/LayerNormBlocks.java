package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of the stacked engine's layer norm ({@code stats.HostLayerNorm}) over float32 rows in host memory: ND4J's
 * float32 operations in ND4J's order, the row sums sequential as ND4J's ({@link NormBlocks}, the transformer's, sums
 * in lanes instead). Only touch this class when {@link Simd#ENABLED} is true.
 */
final class LayerNormBlocks {
    private static final VectorSpecies<Float> F = FloatBlocks.F;
    private static final int LANES = FloatBlocks.LANES;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private LayerNormBlocks() {}

    /**
     * Layer norm's first forward pass over {@code rows} contiguous rows of n values: each row's mean μ, c = x − μ
     * into {@code xhat}, and the mean of c² into {@code var} (one value per row). The means are ND4J's: a float32 sum
     * in element order from 0, then divided by n; each square is rounded before it is added.
     */
    static void centre(Floats x, Floats xhat, Floats var, int rows, int n) {
        ByteBuffer xb = x.bytes(), hb = xhat.bytes(), vb = var.bytes();
        int xAt = x.at(), hAt = xhat.at(), vAt = var.at();
        float[] mean = new float[ROWS], t = new float[ROWS * n];
        for (int r = 0; r < rows; r += ROWS) {
            int g = Math.min(ROWS, rows - r), xr = xAt + r * n, hr = hAt + r * n;
            rowSums(xb, xr, null, 0, g, n, mean, t);
            for (int q = 0; q < g; q++) {
                float mu = mean[q] / n;
                int i = 0, xo = xr + q * n, ho = hr + q * n;
                for (int bound = F.loopBound(n); i < bound; i += LANES)
                    FloatVector.fromByteBuffer(F, xb, (xo + i) << 2, NATIVE)
                            .sub(mu)
                            .intoByteBuffer(hb, (ho + i) << 2, NATIVE);
                for (; i < n; i++) hb.putFloat((ho + i) << 2, xb.getFloat((xo + i) << 2) - mu);
            }
            rowSums(hb, hr, hb, hr, g, n, mean, t);
            for (int q = 0; q < g; q++) vb.putFloat((vAt + r + q) << 2, mean[q] / n);
        }
    }

    /**
     * Layer norm's second forward pass over one run's {@code rows} rows of n values: x̂ ← x̂ · inv[r] in place, then
     * y ← x̂ ⊙ γ + β (γ, β: the run's rows of n), each product and sum rounded to float32 as ND4J's ops round them.
     */
    static void scale(Floats xhat, Floats inv, Floats gamma, Floats beta, Floats y, int rows, int n) {
        ByteBuffer hb = xhat.bytes(), ib = inv.bytes(), gb = gamma.bytes(), bb = beta.bytes(), yb = y.bytes();
        int hAt = xhat.at(), iAt = inv.at(), gAt = gamma.at(), bAt = beta.at(), yAt = y.at();
        for (int r = 0; r < rows; r++) {
            float f = ib.getFloat((iAt + r) << 2);
            int ho = hAt + r * n, yo = yAt + r * n, i = 0;
            for (int bound = F.loopBound(n); i < bound; i += LANES) {
                FloatVector h =
                        FloatVector.fromByteBuffer(F, hb, (ho + i) << 2, NATIVE).mul(f);
                h.intoByteBuffer(hb, (ho + i) << 2, NATIVE);
                h.mul(FloatVector.fromByteBuffer(F, gb, (gAt + i) << 2, NATIVE))
                        .add(FloatVector.fromByteBuffer(F, bb, (bAt + i) << 2, NATIVE))
                        .intoByteBuffer(yb, (yo + i) << 2, NATIVE);
            }
            for (; i < n; i++) {
                float h = hb.getFloat((ho + i) << 2) * f;
                hb.putFloat((ho + i) << 2, h);
                yb.putFloat((yo + i) << 2, h * gb.getFloat((gAt + i) << 2) + bb.getFloat((bAt + i) << 2));
            }
        }
    }

    /**
     * Layer norm's backward over one run's {@code rows} rows of n values, in one pass over them: dγ ← Σ_rows dy ⊙ x̂
     * and dβ ← Σ_rows dy (the run's rows of n, summed in row order from 0 as ND4J's reduction over the batch), d = dy
     * ⊙ γ, and dx ← ((d − mean(d)) − x̂ · mean(d ⊙ x̂)) · inv[r], the means as {@link #centre}'s. Every
     * operation is the float32 one of ND4J's ops, in their order.
     */
    static void backward(
            Floats dy, Floats xhat, Floats inv, Floats gamma, Floats dGamma, Floats dBeta, Floats dx, int rows, int n) {
        ByteBuffer dyb = dy.bytes(), hb = xhat.bytes(), ib = inv.bytes(), gb = gamma.bytes();
        ByteBuffer dgb = dGamma.bytes(), dbb = dBeta.bytes(), dxb = dx.bytes();
        int dAt = dy.at(), hAt = xhat.at(), iAt = inv.at(), gAt = gamma.at(), dgAt = dGamma.at(), dbAt = dBeta.at();
        int xAt = dx.at();
        FloatVector zero = FloatVector.zero(F);
        int bound = F.loopBound(n);
        for (int i = 0; i < n; i++) {
            dgb.putFloat((dgAt + i) << 2, 0f);
            dbb.putFloat((dbAt + i) << 2, 0f);
        }
        float[] m1 = new float[ROWS], m2 = new float[ROWS], t = new float[ROWS * n];
        for (int r = 0; r < rows; r += ROWS) {
            int g = Math.min(ROWS, rows - r), dr = dAt + r * n, hr = hAt + r * n, xr = xAt + r * n;
            for (int q = 0; q < g; q++) {
                int d0 = dr + q * n, h0 = hr + q * n, x0 = xr + q * n, i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector e = FloatVector.fromByteBuffer(F, dyb, (d0 + i) << 2, NATIVE);
                    FloatVector h = FloatVector.fromByteBuffer(F, hb, (h0 + i) << 2, NATIVE);
                    FloatVector.fromByteBuffer(F, dgb, (dgAt + i) << 2, NATIVE)
                            .add(e.mul(h))
                            .intoByteBuffer(dgb, (dgAt + i) << 2, NATIVE);
                    FloatVector.fromByteBuffer(F, dbb, (dbAt + i) << 2, NATIVE)
                            .add(e)
                            .intoByteBuffer(dbb, (dbAt + i) << 2, NATIVE);
                    e.mul(FloatVector.fromByteBuffer(F, gb, (gAt + i) << 2, NATIVE))
                            .intoByteBuffer(dxb, (x0 + i) << 2, NATIVE);
                }
                for (; i < n; i++) {
                    float e = dyb.getFloat((d0 + i) << 2), h = hb.getFloat((h0 + i) << 2);
                    dgb.putFloat((dgAt + i) << 2, dgb.getFloat((dgAt + i) << 2) + e * h);
                    dbb.putFloat((dbAt + i) << 2, dbb.getFloat((dbAt + i) << 2) + e);
                    dxb.putFloat((x0 + i) << 2, e * gb.getFloat((gAt + i) << 2));
                }
            }
            rowSums(dxb, xr, null, 0, g, n, m1, t);
            rowSums(dxb, xr, hb, hr, g, n, m2, t);
            for (int q = 0; q < g; q++) {
                float a = m1[q] / n, b = m2[q] / n, f = ib.getFloat((iAt + r + q) << 2);
                int h0 = hr + q * n, x0 = xr + q * n, i = 0;
                for (; i < bound; i += LANES) {
                    FloatVector h = FloatVector.fromByteBuffer(F, hb, (h0 + i) << 2, NATIVE);
                    FloatVector.fromByteBuffer(F, dxb, (x0 + i) << 2, NATIVE)
                            .sub(a)
                            .sub(h.mul(b))
                            .mul(f)
                            .intoByteBuffer(dxb, (x0 + i) << 2, NATIVE);
                }
                for (; i < n; i++)
                    dxb.putFloat((x0 + i) << 2, (dxb.getFloat((x0 + i) << 2) - a - hb.getFloat((h0 + i) << 2) * b) * f);
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
}
