package dev.gradsweep.conv.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The convolution kernels against their definition. {@link ReferenceConv}'s forward against an impulse worked by
 * hand, its gradients against central differences of its forward (exact up to rounding: the loss is linear in each
 * argument); then {@link VectorConv}'s float32 results against the reference on the same float inputs, within the
 * rounding bound of a float dot product, |fl(Σ) − Σ| ≤ γ_n Σ|terms| with γ_n = n·u / (1 − n·u), u = 2⁻²⁴ (Higham,
 * Accuracy and Stability, §3.1), n the terms of each sum.
 */
class VectorConvTest {
    /**
     * Stride 1 and 2, 3 × 3 and 1 × 1, output channels below, at and above a vector's lanes, odd widths; 40 → 44
     * channels take every register block at once (4, 2 or 1 whole vectors and a masked tail, both ways).
     */
    static final List<ConvShape> SHAPES = List.of(
            new ConvShape(2, 5, 6, 3, 16, 3, 1),
            new ConvShape(2, 6, 6, 16, 32, 3, 2),
            new ConvShape(2, 5, 7, 5, 20, 3, 2),
            new ConvShape(3, 4, 4, 8, 16, 1, 2),
            new ConvShape(1, 3, 3, 2, 5, 3, 1),
            new ConvShape(2, 9, 11, 4, 8, 3, 1),
            new ConvShape(1, 5, 6, 40, 44, 3, 1));

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (2 * r.nextDouble() - 1);
        return a;
    }

    static double[] wide(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double[] abs(double[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = Math.abs(a[i]);
        return d;
    }

    static double gamma(long n) {
        double u = Math.scalb(1.0, -24);
        return n * u / (1 - n * u);
    }

    /** One input pixel set to 1 reaches output (i, j) through tap (r − i·s + p, c − j·s + p), that tap's weight. */
    @Test
    void theReferenceForwardOfAnImpulseIsTheWeightOfItsTap() {
        ConvShape s = new ConvShape(1, 6, 5, 2, 3, 3, 2);
        double[] x = new double[s.inputSize()], w = wide(random(s.weightSize(), 1)), y = new double[s.outputSize()];
        int r = 3, c = 2, ch = 1;
        x[(r * s.width() + c) * s.in() + ch] = 1;
        ReferenceConv.forward(s, x, w, y, null);
        for (int i = 0; i < s.outH(); i++)
            for (int j = 0; j < s.outW(); j++)
                for (int o = 0; o < s.out(); o++) {
                    int ty = r - i * 2 + 1, tx = c - j * 2 + 1;
                    double want = ty < 0 || ty > 2 || tx < 0 || tx > 2 ? 0 : w[((ty * 3 + tx) * 2 + ch) * 3 + o];
                    assertEquals(want, y[(i * s.outW() + j) * s.out() + o], 0.0, i + "," + j + "," + o);
                }
    }

    @Test
    void theReferenceGradientsAreCentralDifferencesOfItsForward() {
        for (ConvShape s : SHAPES) {
            double[] x = wide(random(s.inputSize(), 2)), w = wide(random(s.weightSize(), 3));
            double[] g = wide(random(s.outputSize(), 4)), dx = new double[x.length], dw = new double[w.length];
            ReferenceConv.inputGrad(s, g, w, dx);
            ReferenceConv.weightGrad(s, x, g, dw);
            SplittableRandom r = new SplittableRandom(5);
            for (int n = 0; n < 20; n++) {
                int i = r.nextInt(x.length), k = r.nextInt(w.length);
                assertEquals(dx[i], difference(s, x, w, g, x, i), 1e-9, s + " dx[" + i + "]");
                assertEquals(dw[k], difference(s, x, w, g, w, k), 1e-9, s + " dw[" + k + "]");
            }
        }
    }

    /** (L(a + h) − L(a − h)) / 2h at element i of {@code a} (x or w), L = Σ y·g. */
    private static double difference(ConvShape s, double[] x, double[] w, double[] g, double[] a, int i) {
        double h = 1e-3, keep = a[i], up, down;
        a[i] = keep + h;
        up = loss(s, x, w, g);
        a[i] = keep - h;
        down = loss(s, x, w, g);
        a[i] = keep;
        return (up - down) / (2 * h);
    }

    private static double loss(ConvShape s, double[] x, double[] w, double[] g) {
        double[] y = new double[s.outputSize()];
        ReferenceConv.forward(s, x, w, y, null);
        double l = 0;
        for (int i = 0; i < y.length; i++) l += y[i] * g[i];
        return l;
    }

    @Test
    void theVectorKernelsAreTheReferenceWithinFloatRounding() {
        for (ConvShape s : SHAPES) {
            float[] x = random(s.inputSize(), 6), w = random(s.weightSize(), 7), g = random(s.outputSize(), 8);
            float[] xp = new float[s.paddedSize()], y = new float[s.outputSize()];
            float[] dx = new float[s.inputSize()], dw = new float[s.weightSize()];
            ConvShape t = VectorConv.transposed(s);
            VectorConv.pad(s, x, xp);
            VectorConv.forward(s, xp, w, y);
            VectorConv.weightGrad(s, xp, g, dw);
            VectorConv.inputGrad(s, g, w, dx, new float[VectorConv.scratchSize(s)], new float[t.weightSize()]);

            double[] ry = new double[y.length], ay = new double[y.length];
            ReferenceConv.forward(s, wide(x), wide(w), ry, ay);
            within(s + " y", y, ry, ay, gamma((long) s.taps() * s.in()));
            double[] rdw = new double[dw.length], adw = new double[dw.length];
            ReferenceConv.weightGrad(s, wide(x), wide(g), rdw);
            ReferenceConv.weightGrad(s, abs(wide(x)), abs(wide(g)), adw);
            within(s + " dw", dw, rdw, adw, gamma((long) s.batch() * s.outH() * s.outW()));
            double[] rdx = new double[dx.length], adx = new double[dx.length];
            ReferenceConv.inputGrad(s, wide(g), wide(w), rdx);
            ReferenceConv.inputGrad(s, abs(wide(g)), abs(wide(w)), adx);
            within(s + " dx", dx, rdx, adx, gamma((long) s.taps() * s.out()));
        }
    }

    private static void within(String what, float[] got, double[] want, double[] scale, double gamma) {
        for (int i = 0; i < got.length; i++) {
            // the float result is also rounded once when stored: half an ulp of it
            double bound = gamma * scale[i] + Math.ulp(got[i]) / 2;
            assertTrue(Math.abs(got[i] - want[i]) <= bound, what + "[" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }
}
