package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD row passes of the conv nets' batch, group and layer norms over float32 [rows, c] arrays in host memory (the
 * float64 loops in {@code stats.HostChannelNorm} are the reference, and say why the forward's sums are shifted):
 * per-channel column sums accumulated in double (each float widened in a register, so a product of two floats is
 * exact), and the two elementwise passes with per-channel coefficients. The lanes run across the channels of a row,
 * the rows one after another, so each array is read once per pass. Only touch this class when {@link Simd#ENABLED}
 * is true.
 */
public final class ChannelNormBlocks {
    private static final VectorSpecies<Double> D = FloatBlocks.D;
    private static final VectorSpecies<Float> F = FloatBlocks.F;
    private static final int LANES = FloatBlocks.LANES;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Rows per block of {@link #columnSums}: 64 rows of 64 channels are 16 KB. */
    private static final int BLOCK_ROWS = 64;

    private ChannelNormBlocks() {}

    /**
     * sa[j] += Σ_rows (a_j − k_j) and sab[j] += Σ_rows (a_j − k_j)·(b_j − k_j) for the c channels j (b = a and k a
     * value of each channel: the shifted Σx and Σx² of a one-pass variance; k = 0: Σa and Σa·b).
     */
    public static void columnSums(Floats a, Floats b, double[] k, int rows, int c, double[] sa, double[] sab) {
        ByteBuffer ab = a.bytes(), bb = b.bytes();
        int aAt = a.at(), bAt = b.at();
        int bound = F.loopBound(c);
        // blocks of rows, each channel vector's sums in registers over ab block (which stays in L1 for the next)
        for (int r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
            int r1 = Math.min(rows, r0 + BLOCK_ROWS), j;
            for (j = 0; j < bound; j += LANES) {
                DoubleVector kj = DoubleVector.fromArray(D, k, j), s1 = DoubleVector.zero(D), s2 = s1;
                for (int r = r0; r < r1; r++) {
                    DoubleVector da = ((DoubleVector) FloatVector.fromByteBuffer(F, ab, (aAt + r * c + j) << 2, NATIVE)
                                    .convertShape(VectorOperators.F2D, D, 0))
                            .sub(kj);
                    DoubleVector db = ((DoubleVector) FloatVector.fromByteBuffer(F, bb, (bAt + r * c + j) << 2, NATIVE)
                                    .convertShape(VectorOperators.F2D, D, 0))
                            .sub(kj);
                    s1 = s1.add(da);
                    s2 = da.fma(db, s2);
                }
                s1.add(DoubleVector.fromArray(D, sa, j)).intoArray(sa, j);
                s2.add(DoubleVector.fromArray(D, sab, j)).intoArray(sab, j);
            }
            for (; j < c; j++)
                for (int r = r0; r < r1; r++) {
                    double va = ab.getFloat((aAt + r * c + j) << 2) - k[j];
                    sa[j] += va;
                    sab[j] += va * (bb.getFloat((bAt + r * c + j) << 2) - k[j]);
                }
        }
    }

    /** x̂ = x·f_j + o_j into xhat and y = x̂·γ_j + β_j into y, per channel j (f = 1/σ, o = −μ/σ). */
    public static void normalise(
            Floats x, float[] f, float[] o, float[] gamma, float[] beta, Floats xhat, Floats y, int rows, int c) {
        ByteBuffer xb = x.bytes(), hb = xhat.bytes(), yb = y.bytes();
        int xAt = x.at(), hAt = xhat.at(), yAt = y.at();
        int bound = F.loopBound(c);
        for (int r = 0; r < rows; r++) {
            int xo = (xAt + r * c) << 2, ho = (hAt + r * c) << 2, yo = (yAt + r * c) << 2, j;
            for (j = 0; j < bound; j += LANES) {
                FloatVector h = FloatVector.fromByteBuffer(F, xb, xo + (j << 2), NATIVE)
                        .fma(FloatVector.fromArray(F, f, j), FloatVector.fromArray(F, o, j));
                h.intoByteBuffer(hb, ho + (j << 2), NATIVE);
                h.fma(FloatVector.fromArray(F, gamma, j), FloatVector.fromArray(F, beta, j))
                        .intoByteBuffer(yb, yo + (j << 2), NATIVE);
            }
            for (; j < c; j++) {
                float h = Math.fma(xb.getFloat(xo + (j << 2)), f[j], o[j]);
                hb.putFloat(ho + (j << 2), h);
                yb.putFloat(yo + (j << 2), Math.fma(h, gamma[j], beta[j]));
            }
        }
    }

    /** dx = dy·a_j + x̂·nb_j + nc_j per channel j (the norm's backward with its coefficients folded in). */
    public static void combine(Floats dy, Floats xhat, float[] a, float[] nb, float[] nc, Floats dx, int rows, int c) {
        ByteBuffer eb = dy.bytes(), hb = xhat.bytes(), xb = dx.bytes();
        int dAt = dy.at(), hAt = xhat.at(), xAt = dx.at();
        int bound = F.loopBound(c);
        for (int r = 0; r < rows; r++) {
            int eo = (dAt + r * c) << 2, ho = (hAt + r * c) << 2, xo = (xAt + r * c) << 2, j;
            for (j = 0; j < bound; j += LANES) {
                FloatVector t = FloatVector.fromByteBuffer(F, eb, eo + (j << 2), NATIVE)
                        .fma(FloatVector.fromArray(F, a, j), FloatVector.fromArray(F, nc, j));
                FloatVector.fromByteBuffer(F, hb, ho + (j << 2), NATIVE)
                        .fma(FloatVector.fromArray(F, nb, j), t)
                        .intoByteBuffer(xb, xo + (j << 2), NATIVE);
            }
            for (; j < c; j++) {
                float t = Math.fma(eb.getFloat(eo + (j << 2)), a[j], nc[j]);
                xb.putFloat(xo + (j << 2), Math.fma(hb.getFloat(ho + (j << 2)), nb[j], t));
            }
        }
    }
}
