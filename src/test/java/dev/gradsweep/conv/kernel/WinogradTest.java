package dev.gradsweep.conv.kernel;

import static dev.gradsweep.conv.kernel.VectorConvTest.gamma;
import static dev.gradsweep.conv.kernel.VectorConvTest.random;
import static dev.gradsweep.conv.kernel.VectorConvTest.wide;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Winograd}'s F(4 × 4, 3 × 3) convolution, through {@link VectorConv}'s forward and stride-1 input gradient,
 * against {@link ReferenceConv}'s direct sums in double on the same float inputs, within the rounding bound of the
 * Winograd form: |ŷ − y| ≤ γ_{C+18}·|Aᵀ|[Σ_c (|G||g_c||Gᵀ|) ⊙ (|Bᵀ||d_c||B|)]|A| per 4 × 4 tile (C input channels,
 * one rounding each of the fused products' sum; the 18 further roundings are the transforms' longest chains, each
 * pass rounding at most 4 times for the weights (⅙ and 1⁄24 are not floats), 2 for the input, 3 for the output;
 * each rounding multiplies an error by at most 1 + u, Higham §3.1). The scale is computed here in double from
 * the transform matrices, independently of the kernels.
 */
public class WinogradTest {
    /**
     * Whole vectors of channels at any lane count up to 8; more tiles than a block and a tail of 1 (33 = 32 + 1);
     * sides that are not multiples of 4, so the last tiles are cut.
     */
    static final List<ConvShape> SHAPES = List.of(
            new ConvShape(2, 4, 8, 8, 16, 3, 1),
            new ConvShape(11, 4, 12, 16, 40, 3, 1),
            new ConvShape(1, 4, 4, 24, 8, 3, 1),
            new ConvShape(2, 8, 4, 32, 32, 3, 1),
            new ConvShape(2, 7, 6, 8, 16, 3, 1), // tiles cut at the bottom and on the right
            new ConvShape(3, 5, 13, 16, 8, 3, 1)); // cut to 1 row and 1 column

    private static final double[][] BT = {
        {4, 0, -5, 0, 1, 0},
        {0, -4, -4, 1, 1, 0},
        {0, 4, -4, -1, 1, 0},
        {0, -2, -1, 2, 1, 0},
        {0, 2, -1, -2, 1, 0},
        {0, 4, 0, -5, 0, 1}
    };
    private static final double[][] G = {
        {1 / 4., 0, 0},
        {-1 / 6., -1 / 6., -1 / 6.},
        {-1 / 6., 1 / 6., -1 / 6.},
        {1 / 24., 1 / 12., 1 / 6.},
        {1 / 24., -1 / 12., 1 / 6.},
        {0, 0, 1}
    };
    private static final double[][] AT = {
        {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}
    };

    @Test
    void everyShapeHereTakesTheWinogradPath() {
        for (ConvShape s : SHAPES) {
            assertTrue(Winograd.applies(s), s.toString());
            assertTrue(Winograd.applies(VectorConv.transposed(s)), s + " transposed");
        }
        assertTrue(!Winograd.applies(new ConvShape(2, 2, 2, 8, 16, 3, 1)), "one tile a quarter full");
        assertTrue(!Winograd.applies(new ConvShape(2, 8, 8, 9, 16, 3, 1)), "channels not whole vectors");
        assertTrue(!Winograd.applies(new ConvShape(2, 4, 8, 8, 16, 3, 2)), "stride 2");
    }

    @Test
    void forwardAndInputGradientAreTheDirectSumsWithinTheWinogradRoundingBound() {
        for (ConvShape s : SHAPES) {
            float[] x = random(s.inputSize(), 11), w = random(s.weightSize(), 12), g = random(s.outputSize(), 13);
            float[] xp = new float[s.paddedSize()], y = new float[s.outputSize()], dx = new float[s.inputSize()];
            ConvShape t = VectorConv.transposed(s);
            VectorConv.pad(s, x, xp);
            VectorConv.forward(s, xp, w, y);
            VectorConv.inputGrad(s, g, w, dx, new float[VectorConv.scratchSize(s)], new float[t.weightSize()]);

            double[] ry = new double[y.length];
            ReferenceConv.forward(s, wide(x), wide(w), ry, null);
            within(s + " y", y, ry, scale(s, wide(x), wide(w)), gamma(s.in() + 18));
            double[] rdx = new double[dx.length];
            ReferenceConv.inputGrad(s, wide(g), wide(w), rdx);
            // dx is the stride-1 convolution of dy with the rotated weights, transposed in their channels
            within(s + " dx", dx, rdx, scale(t, wide(g), rotated(s, wide(w))), gamma(s.out() + 18));
        }
    }

    /**
     * The weight gradient Gᵀ[Σ_t (Bᵀ d_t B) ⊙ (A dy_t Aᵀ)]G against the direct sum over the output positions, within
     * γ_{T+20}·|Gᵀ|[Σ_t (|Bᵀ||d_t||B|) ⊙ (|A||dy_t||Aᵀ|)]|G| (T tiles summed one after another; the transforms'
     * longest chains: 2 roundings a pass for the input and the gradient, 6 for Gᵀ · G with its two inexact constants).
     */
    @Test
    void weightGradientIsTheDirectSumWithinTheWinogradRoundingBound() {
        for (ConvShape s : SHAPES) {
            float[] x = random(s.inputSize(), 14), g = random(s.outputSize(), 15);
            float[] xp = new float[s.paddedSize()], dw = new float[s.weightSize()];
            VectorConv.pad(s, x, xp);
            VectorConv.weightGrad(s, xp, g, dw);
            double[] rdw = new double[dw.length];
            ReferenceConv.weightGrad(s, wide(x), wide(g), rdw);
            int tiles = s.batch() * ((s.height() + 3) / 4) * ((s.width() + 3) / 4);
            within(s + " dw", dw, rdw, gradientScale(s, wide(x), wide(g)), gamma(tiles + 20));
        }
    }

    /** Per weight: |Gᵀ| [Σ_t (|Bᵀ||d_t||B|) ⊙ (|A||dy_t||Aᵀ|)] |G| over the tiles t, for its input and output channel. */
    private static double[] gradientScale(ConvShape s, double[] x, double[] dy) {
        int h = s.height(), wd = s.width(), ci = s.in(), co = s.out();
        double[][][][] sum = new double[ci][co][6][6];
        double[][] bt = abs(BT), at = abs(AT);
        for (int b = 0; b < s.batch(); b++)
            for (int ti = 0; ti < (h + 3) / 4; ti++)
                for (int tj = 0; tj < (wd + 3) / 4; tj++) {
                    double[][][] v = new double[ci][][], m = new double[co][][];
                    for (int c = 0; c < ci; c++) {
                        double[][] d = new double[6][6];
                        for (int r = 0; r < 6; r++)
                            for (int q = 0; q < 6; q++) {
                                int row = 4 * ti + r - 1, col = 4 * tj + q - 1;
                                boolean in = row >= 0 && row < h && col >= 0 && col < wd;
                                d[r][q] = in ? Math.abs(x[((b * h + row) * wd + col) * ci + c]) : 0;
                            }
                        v[c] = times(times(bt, d), transpose(bt));
                    }
                    for (int o = 0; o < co; o++) {
                        double[][] d = new double[4][4];
                        for (int r = 0; r < 4 && 4 * ti + r < h; r++) // outputs past the edge: none, zero
                        for (int q = 0; q < 4 && 4 * tj + q < wd; q++)
                                d[r][q] = Math.abs(dy[((b * h + 4 * ti + r) * wd + 4 * tj + q) * co + o]);
                        m[o] = times(times(transpose(at), d), at);
                    }
                    for (int c = 0; c < ci; c++)
                        for (int o = 0; o < co; o++)
                            for (int r = 0; r < 6; r++)
                                for (int q = 0; q < 6; q++) sum[c][o][r][q] += v[c][r][q] * m[o][r][q];
                }
        double[] out = new double[s.weightSize()];
        double[][] g = abs(G);
        for (int c = 0; c < ci; c++)
            for (int o = 0; o < co; o++) {
                double[][] k = times(times(transpose(g), sum[c][o]), g);
                for (int t = 0; t < 9; t++) out[(t * ci + c) * co + o] = k[t / 3][t % 3];
            }
        return out;
    }

    /**
     * How much larger the Winograd form's a-priori rounding bound is than the direct sum's on normal data of shape s:
     * Σ of the Winograd scale over Σ of Σ|w·x| over the outputs (≈ 80–100 for 8 to 64 channels; for net-level checks).
     */
    public static double boundRatio(ConvShape s, long seed) {
        double[] x = wide(random(s.inputSize(), seed)), w = wide(random(s.weightSize(), seed + 1));
        double[] y = new double[s.outputSize()], direct = new double[s.outputSize()], wino = scale(s, x, w);
        ReferenceConv.forward(s, x, w, y, direct);
        double a = 0, b = 0;
        for (int i = 0; i < y.length; i++) {
            a += wino[i];
            b += direct[i];
        }
        return a / b;
    }

    /** wt[ty, tx][o][c] = w[k−1−ty, k−1−tx][c][o]. */
    private static double[] rotated(ConvShape s, double[] w) {
        int k = s.k(), ci = s.in(), co = s.out();
        double[] wt = new double[w.length];
        for (int ty = 0; ty < k; ty++)
            for (int tx = 0; tx < k; tx++)
                for (int o = 0; o < co; o++)
                    for (int c = 0; c < ci; c++)
                        wt[((ty * k + tx) * co + o) * ci + c] = w[(((k - 1 - ty) * k + k - 1 - tx) * ci + c) * co + o];
        return wt;
    }

    /** Per output: |Aᵀ| [Σ_c (|G||g_c||Gᵀ|) ⊙ (|Bᵀ||d_c||B|)] |A| of its tile, d the tile's 4 × 4 window (zero outside). */
    static double[] scale(ConvShape s, double[] x, double[] w) {
        int h = s.height(), wd = s.width(), ci = s.in(), co = s.out();
        double[] out = new double[s.outputSize()];
        double[][] bt = abs(BT), g = abs(G), at = abs(AT);
        for (int b = 0; b < s.batch(); b++)
            for (int ti = 0; ti < (h + 3) / 4; ti++)
                for (int tj = 0; tj < (wd + 3) / 4; tj++)
                    for (int o = 0; o < co; o++) {
                        double[][] m = new double[6][6];
                        for (int c = 0; c < ci; c++) {
                            double[][] d = new double[6][6], k = new double[3][3];
                            for (int r = 0; r < 6; r++)
                                for (int q = 0; q < 6; q++) {
                                    int row = 4 * ti + r - 1, col = 4 * tj + q - 1;
                                    boolean in = row >= 0 && row < h && col >= 0 && col < wd;
                                    d[r][q] = in ? Math.abs(x[((b * h + row) * wd + col) * ci + c]) : 0;
                                }
                            for (int r = 0; r < 9; r++) k[r / 3][r % 3] = Math.abs(w[(r * ci + c) * co + o]);
                            double[][] u = times(times(g, k), transpose(g)), v = times(times(bt, d), transpose(bt));
                            for (int r = 0; r < 6; r++) for (int q = 0; q < 6; q++) m[r][q] += u[r][q] * v[r][q];
                        }
                        double[][] yt = times(times(at, m), transpose(at));
                        for (int r = 0; r < 4 && 4 * ti + r < h; r++)
                            for (int q = 0; q < 4 && 4 * tj + q < wd; q++)
                                out[((b * h + 4 * ti + r) * wd + 4 * tj + q) * co + o] = yt[r][q];
                    }
        return out;
    }

    private static double[][] abs(double[][] a) {
        double[][] r = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) r[i][j] = Math.abs(a[i][j]);
        return r;
    }

    private static double[][] transpose(double[][] a) {
        double[][] r = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) r[j][i] = a[i][j];
        return r;
    }

    private static double[][] times(double[][] a, double[][] b) {
        double[][] r = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++)
            for (int j = 0; j < b[0].length; j++) for (int k = 0; k < b.length; k++) r[i][j] += a[i][k] * b[k][j];
        return r;
    }

    private static void within(String what, float[] got, double[] want, double[] scale, double gamma) {
        for (int i = 0; i < got.length; i++) {
            double bound = gamma * scale[i] + Math.ulp(got[i]) / 2; // and the float result's own rounding
            assertTrue(Math.abs(got[i] - want[i]) <= bound, what + "[" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }
}
