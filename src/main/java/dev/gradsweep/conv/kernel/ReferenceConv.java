package dev.gradsweep.conv.kernel;

/**
 * The convolution of a {@link ConvShape} and its two gradients, written from the definitions in double, loop by loop:
 * y[b, i, j, o] = Σ_{dy, dx, c} w[dy·k + dx, c, o] · x[b, i·s + dy − p, j·s + dx − p, c] with x = 0 outside the
 * image. The float64 engine and the tests' yardstick for {@link VectorConv}; {@code absY} (when not null) receives
 * Σ |w·x| per output, the scale of a dot product's rounding error.
 */
public final class ReferenceConv {
    private ReferenceConv() {}

    public static void forward(ConvShape s, double[] x, double[] w, double[] y, double[] absY) {
        int p = s.pad(), oh = s.outH(), ow = s.outW();
        for (int b = 0; b < s.batch(); b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int o = 0; o < s.out(); o++) {
                        double sum = 0, abs = 0;
                        for (int dy = 0; dy < s.k(); dy++)
                            for (int dx = 0; dx < s.k(); dx++) {
                                int r = i * s.stride() + dy - p, c0 = j * s.stride() + dx - p;
                                if (r < 0 || r >= s.height() || c0 < 0 || c0 >= s.width()) continue;
                                for (int c = 0; c < s.in(); c++) {
                                    double t = w[((dy * s.k() + dx) * s.in() + c) * s.out() + o]
                                            * x[((b * s.height() + r) * s.width() + c0) * s.in() + c];
                                    sum += t;
                                    abs += Math.abs(t);
                                }
                            }
                        int at = ((b * oh + i) * ow + j) * s.out() + o;
                        y[at] = sum;
                        if (absY != null) absY[at] = abs;
                    }
    }

    /** dx = ∂(Σ y·dy)/∂x: each input element collects w·dy from every output it reaches. Overwrites dx. */
    public static void inputGrad(ConvShape s, double[] dy, double[] w, double[] dx) {
        java.util.Arrays.fill(dx, 0, s.inputSize(), 0);
        int p = s.pad(), oh = s.outH(), ow = s.outW();
        for (int b = 0; b < s.batch(); b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ky = 0; ky < s.k(); ky++)
                        for (int kx = 0; kx < s.k(); kx++) {
                            int r = i * s.stride() + ky - p, c0 = j * s.stride() + kx - p;
                            if (r < 0 || r >= s.height() || c0 < 0 || c0 >= s.width()) continue;
                            for (int c = 0; c < s.in(); c++) {
                                double g = 0;
                                for (int o = 0; o < s.out(); o++)
                                    g += w[((ky * s.k() + kx) * s.in() + c) * s.out() + o]
                                            * dy[((b * oh + i) * ow + j) * s.out() + o];
                                dx[((b * s.height() + r) * s.width() + c0) * s.in() + c] += g;
                            }
                        }
    }

    /** dw = ∂(Σ y·dy)/∂w, summed over the batch and the output positions. Overwrites dw. */
    public static void weightGrad(ConvShape s, double[] x, double[] dy, double[] dw) {
        java.util.Arrays.fill(dw, 0, s.weightSize(), 0);
        int p = s.pad(), oh = s.outH(), ow = s.outW();
        for (int b = 0; b < s.batch(); b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ky = 0; ky < s.k(); ky++)
                        for (int kx = 0; kx < s.k(); kx++) {
                            int r = i * s.stride() + ky - p, c0 = j * s.stride() + kx - p;
                            if (r < 0 || r >= s.height() || c0 < 0 || c0 >= s.width()) continue;
                            for (int c = 0; c < s.in(); c++) {
                                double xv = x[((b * s.height() + r) * s.width() + c0) * s.in() + c];
                                for (int o = 0; o < s.out(); o++)
                                    dw[((ky * s.k() + kx) * s.in() + c) * s.out() + o] +=
                                            xv * dy[((b * oh + i) * ow + j) * s.out() + o];
                            }
                        }
    }
}
