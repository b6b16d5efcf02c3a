package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link TrainingMemory#channelNorm} and its backward, the host path (float32: {@code simd.ChannelNormBlocks}; float64:
 * the scalar loops) and the ND4J default (the portable path's), against the definition evaluated here in double on
 * the same (float-rounded) inputs, for batch norm, group norm with 3 groups of 4 channels and layer norm, both
 * directions. 12 channels run the SIMD loops and their scalar tail; the channels' means (up to 20) are large against
 * their standard deviations (0.5 to 2), where a variance from sums kept in float loses its digits.
 *
 * <p>The bound is first-order rounding analysis: each output z may be off by k·u·S_z, u the unit roundoff and S_z
 * the sum of the magnitudes its formula rounds (below, {@code scale*}): x̂: f·(mean|x| + |x − μ|) + |x̂|; y: |γ|·S_x̂ +
 * |y|; dβ: Σ|dy|; dγ: Σ|dy|·(|x̂| + S_x̂); dx: f·(|d| + mean|d| + |x̂|·mean(|d|·(|x̂| + S_x̂)) + |m2|·S_x̂) + |dx|, d = dy
 * ⊙ γ, means and sums over the norm's (n, g) set of N values. The ND4J path sums in the arrays' type, so its k is N +
 * 10 (γ_N of a sum, plus the few roundings after it), and so is the host path's in float64; in float32 the host path
 * sums in double, so its k is 8, whatever N: with its sums in float (Σx² off by ≈ √N·u, times the cancellation (μ/σ)²
 * ≈ 1,800 here) it would miss this bound, as the float64 host path did with an unshifted one-pass variance. The two
 * paths then agree within the sum of their bounds.
 */
class ChannelNormTest {
    static final int BATCH = 3,
            PIXELS = 25,
            C = 12; // batch norm: 75 rows, two of ChannelNormBlocks.columnSums' row blocks
    static final double EPS = 1e-5;

    @Test
    void hostAndNd4jPassesMatchTheDefinitionInFloat32AndFloat64() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int groups : new int[] {0, 3, 1}) check(dt, groups);
    }

    private static void check(DataType dt, int groups) {
        Random r = new Random(29 + groups);
        int rows = BATCH * PIXELS;
        double[] x = new double[rows * C], dy = new double[rows * C], gamma = new double[C], beta = new double[C];
        for (int i = 0; i < x.length; i++) {
            int c = i % C;
            x[i] = 10 * (c % 3) + (0.5 + 0.5 * (c % 4)) * r.nextGaussian() + (groups > 0 ? i / (PIXELS * C) : 0);
            dy[i] = r.nextGaussian();
        }
        for (int c = 0; c < C; c++) {
            gamma[c] = 0.5 + r.nextDouble();
            beta[c] = r.nextDouble() - 0.5;
        }
        INDArray xa = array(x, rows, dt), dya = array(dy, rows, dt), ga = array(gamma, 1, dt), ba = array(beta, 1, dt);
        // the definition on the inputs as the paths see them
        x = xa.castTo(DataType.DOUBLE).data().asDouble();
        dy = dya.castTo(DataType.DOUBLE).data().asDouble();
        gamma = ga.castTo(DataType.DOUBLE).data().asDouble();
        beta = ba.castTo(DataType.DOUBLE).data().asDouble();
        Reference ref = new Reference(x, dy, gamma, beta, groups);
        double u = dt == DataType.FLOAT ? 0x1p-24 : 0x1p-53;
        String what = dt + (groups == 0 ? " batch norm" : groups == 1 ? " layer norm" : " group norm");
        TrainingMemory host = TrainingMemory.hostDirect(), nd = TrainingMemory.portable();
        INDArray[] h = run(host, xa, dya, ga, ba, groups), n = run(nd, xa, dya, ga, ba, groups);
        double kHost = dt == DataType.FLOAT ? 8 : ref.count + 10, kNd = ref.count + 10;
        ref.assertWithin(h, kHost * u, what + ", host path");
        ref.assertWithin(n, kNd * u, what + ", ND4J path");
        ref.assertPathsAgree(h, n, (kHost + kNd) * u, what);
    }

    /** x̂, y, dx, dγ, dβ of one forward and backward. */
    private static INDArray[] run(TrainingMemory m, INDArray x, INDArray dy, INDArray g, INDArray b, int groups) {
        DataType dt = x.dataType();
        ChannelNormBuffers buf = new ChannelNormBuffers(dt, BATCH, PIXELS, C, groups, EPS);
        INDArray dg = Nd4j.create(dt, 1, C), db = Nd4j.create(dt, 1, C);
        m.channelNorm(x, g, b, buf);
        INDArray dx = m.channelNormBackward(dy, g, dg, db, buf);
        return new INDArray[] {buf.xhat, buf.y, dx, dg, db};
    }

    private static INDArray array(double[] v, int rows, DataType dt) {
        return Nd4j.create(v, new long[] {rows, v.length / rows}, DataType.DOUBLE)
                .castTo(dt);
    }

    /** The norm by its definition, in double, with the magnitudes S of the bound. */
    static final class Reference {
        final double[][] value = new double[5][], scale = new double[5][];
        final int count;

        Reference(double[] x, double[] dy, double[] gamma, double[] beta, int groups) {
            int rows = BATCH * PIXELS, n = groups == 0 ? 1 : BATCH, m = rows / n, g = groups == 0 ? C : groups;
            int cg = C / g;
            count = m * cg;
            double[] xh = new double[x.length], sx = new double[x.length], y = new double[x.length];
            double[] sy = new double[x.length], dx = new double[x.length], sdx = new double[x.length];
            double[] dg = new double[C], sdg = new double[C], db = new double[C], sdb = new double[C];
            for (int s = 0; s < n; s++)
                for (int k = 0; k < g; k++) {
                    double mu = 0, var = 0, absX = 0;
                    for (int i : set(s, k, m, cg)) {
                        mu += x[i] / count;
                        absX += Math.abs(x[i]) / count;
                    }
                    for (int i : set(s, k, m, cg)) var += (x[i] - mu) * (x[i] - mu) / count;
                    double f = 1 / Math.sqrt(var + EPS), m1 = 0, m2 = 0, am1 = 0, am2 = 0;
                    for (int i : set(s, k, m, cg)) {
                        int c = i % C;
                        xh[i] = (x[i] - mu) * f;
                        sx[i] = f * (absX + Math.abs(x[i] - mu)) + Math.abs(xh[i]);
                        y[i] = xh[i] * gamma[c] + beta[c];
                        sy[i] = Math.abs(gamma[c]) * sx[i] + Math.abs(y[i]);
                        double d = dy[i] * gamma[c];
                        m1 += d / count;
                        m2 += d * xh[i] / count;
                        am1 += Math.abs(d) / count;
                        am2 += Math.abs(d) * (Math.abs(xh[i]) + sx[i]) / count;
                        dg[c] += dy[i] * xh[i];
                        sdg[c] += Math.abs(dy[i]) * (Math.abs(xh[i]) + sx[i]);
                        db[c] += dy[i];
                        sdb[c] += Math.abs(dy[i]);
                    }
                    for (int i : set(s, k, m, cg)) {
                        double d = dy[i] * gamma[i % C];
                        dx[i] = (d - m1 - xh[i] * m2) * f;
                        sdx[i] = f * (Math.abs(d) + am1 + Math.abs(xh[i]) * am2 + Math.abs(m2) * sx[i])
                                + Math.abs(dx[i]);
                    }
                }
            double[][] v = {xh, y, dx, dg, db}, sc = {sx, sy, sdx, sdg, sdb};
            System.arraycopy(v, 0, value, 0, 5);
            System.arraycopy(sc, 0, scale, 0, 5);
        }

        /** Element indices of sample s's group k: its m rows, channels k·cg … (k+1)·cg − 1. */
        private static int[] set(int s, int k, int m, int cg) {
            int[] idx = new int[m * cg];
            for (int r = 0; r < m; r++) for (int j = 0; j < cg; j++) idx[r * cg + j] = (s * m + r) * C + k * cg + j;
            return idx;
        }

        private static final String[] NAMES = {"x̂", "y", "dx", "dγ", "dβ"};

        void assertWithin(INDArray[] got, double k, String what) {
            for (int o = 0; o < 5; o++) {
                double[] g = got[o].castTo(DataType.DOUBLE).data().asDouble();
                for (int i = 0; i < g.length; i++) {
                    double err = Math.abs(g[i] - value[o][i]), bound = k * scale[o][i];
                    assertTrue(
                            err <= bound,
                            what + " " + NAMES[o] + "[" + i + "] = " + g[i] + ", definition " + value[o][i]
                                    + ": off by " + err + " > " + bound);
                }
            }
        }

        void assertPathsAgree(INDArray[] a, INDArray[] b, double k, String what) {
            for (int o = 0; o < 5; o++) {
                double[] x = a[o].castTo(DataType.DOUBLE).data().asDouble();
                double[] y = b[o].castTo(DataType.DOUBLE).data().asDouble();
                for (int i = 0; i < x.length; i++)
                    assertTrue(
                            Math.abs(x[i] - y[i]) <= k * scale[o][i],
                            what + " " + NAMES[o] + "[" + i + "]: host " + x[i] + ", ND4J " + y[i]);
            }
        }
    }
}
