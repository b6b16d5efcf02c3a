package dev.gradsweep.conv.kernel;

/**
 * The convolution of a {@link ConvShape} and its two gradients, written from the definitions in double, loop by loop:
 * y[b, i, j, o] = Σ_{dy, dx, c} w[dy·k + dx, c, o] · x[b, i·s + dy − p, j·s + dx − p, c] with x = 0 outside the
 * image. The float64 engine and the tests' yardstick for {@link VectorConv}; {@code absY} (when not null) receives
 * Σ |w·x| per output, the scale of a dot product's rounding error.
 */
public final class ReferenceConv {
    private ReferenceConv() {}

    /** One (output position, kernel tap) pair whose input pixel is inside the image: the three arrays' offsets. */
    private interface Tap {
        /** x at xAt + c, w at wAt + c·out + o, y (or dy) at yAt + o. */
        void at(int xAt, int wAt, int yAt);
    }

    /** Every output position × tap that reads a pixel inside the image (padding contributes nothing). */
    private static void taps(ConvShape s, Tap f) {
        int p = s.pad(), oh = s.outH(), ow = s.outW();
        for (int b = 0; b < s.batch(); b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ky = 0; ky < s.k(); ky++)
                        for (int kx = 0; kx < s.k(); kx++) {
                            int r = i * s.stride() + ky - p, c = j * s.stride() + kx - p;
                            if (r < 0 || r >= s.height() || c < 0 || c >= s.width()) continue;
                            f.at(
                                    ((b * s.height() + r) * s.width() + c) * s.in(),
                                    (ky * s.k() + kx) * s.in() * s.out(),
                                    ((b * oh + i) * ow + j) * s.out());
                        }
    }

    public static void forward(ConvShape s, double[] x, double[] w, double[] y, double[] absY) {
        java.util.Arrays.fill(y, 0, s.outputSize(), 0);
        if (absY != null) java.util.Arrays.fill(absY, 0, s.outputSize(), 0);
        taps(s, (xAt, wAt, yAt) -> {
            for (int c = 0; c < s.in(); c++)
                for (int o = 0; o < s.out(); o++) {
                    double t = w[wAt + c * s.out() + o] * x[xAt + c];
                    y[yAt + o] += t;
                    if (absY != null) absY[yAt + o] += Math.abs(t);
                }
        });
    }

    /** dx = ∂(Σ y·dy)/∂x: each input element collects w·dy from every output it reaches. Overwrites dx. */
    public static void inputGrad(ConvShape s, double[] dy, double[] w, double[] dx) {
        java.util.Arrays.fill(dx, 0, s.inputSize(), 0);
        taps(s, (xAt, wAt, yAt) -> {
            for (int c = 0; c < s.in(); c++)
                for (int o = 0; o < s.out(); o++) dx[xAt + c] += w[wAt + c * s.out() + o] * dy[yAt + o];
        });
    }

    /** dw = ∂(Σ y·dy)/∂w, summed over the batch and the output positions. Overwrites dw. */
    public static void weightGrad(ConvShape s, double[] x, double[] dy, double[] dw) {
        java.util.Arrays.fill(dw, 0, s.weightSize(), 0);
        taps(s, (xAt, wAt, yAt) -> {
            for (int c = 0; c < s.in(); c++)
                for (int o = 0; o < s.out(); o++) dw[wAt + c * s.out() + o] += x[xAt + c] * dy[yAt + o];
        });
    }
}
