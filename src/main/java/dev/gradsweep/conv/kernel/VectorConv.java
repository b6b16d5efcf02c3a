package dev.gradsweep.conv.kernel;

import java.nio.FloatBuffer;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 convolution of a {@link ConvShape} and its gradients in the JDK's Vector API (docs/conv-engine.md):
 * output channels across the lanes, the input broadcast, register blocks of 4 output pixels (or 4 rows of ∂W) × 4, 2
 * or 1 vectors of output channels. Every inner loop is one flat loop over an offset table: with vector accumulators
 * carried through nested loops, JDK 17's C2 left them in memory and the same arithmetic ran 15× slower; and the
 * kernels store their accumulators themselves: handed to a helper that C2 did not inline (its node-count cutoff), the
 * 16-accumulator loop ran 4× slower. The input is read with its zero border ({@link #pad}), so no loop tests an
 * edge. Same sums as {@link ReferenceConv}, in float and in another order.
 */
public final class VectorConv {
    /**
     * The float species of the statistics' SIMD loops ({@code simd.FloatBlocks.F}: half the preferred double width).
     * With a second float species in the JVM, FloatVector's shared code saw two vector classes and C2 compiled these
     * loops without the vector intrinsics: the bench net's step took 377 ms instead of 77 (docs/conv.md).
     */
    static final VectorSpecies<Float> S =
            VectorSpecies.of(float.class, VectorShape.forBitSize(DoubleVector.SPECIES_PREFERRED.vectorBitSize() / 2));

    static final int L = S.length();

    private VectorConv() {}

    /** The float lanes of the kernels' vectors. */
    public static int lanes() {
        return L;
    }

    /** xp = x with a zero border of {@code s.pad()} pixels: [batch, paddedH, paddedW, in]. */
    public static void pad(ConvShape s, float[] x, float[] xp) {
        pad(s, FloatBuffer.wrap(x), 0, xp);
    }

    /** The same from x's elements at {@code offset} in a (host) buffer: no copy of x on the way. */
    public static void pad(ConvShape s, FloatBuffer x, int offset, float[] xp) {
        int p = s.pad(), hp = s.paddedH(), wp = s.paddedW(), row = s.width() * s.in();
        Arrays.fill(xp, 0, s.paddedSize(), 0f);
        for (int b = 0; b < s.batch(); b++)
            for (int r = 0; r < s.height(); r++)
                x.get(offset + (b * s.height() + r) * row, xp, ((b * hp + r + p) * wp + p) * s.in(), row);
    }

    /**
     * With AVX-512's 32 vector registers, 16 accumulators and their operands fit: 4 × 4 register blocks are taken
     * (else 4 × 2, which 16 registers hold). More FMAs per load made the kernels 2× faster than 4 × 1
     * (docs/conv-engine.md).
     */
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    /**
     * y = the convolution of the padded input xp with w: {@link Winograd}'s where it applies (3 × 3, stride 1, sides
     * of whole 4 × 4 tiles, whole vectors of channels), else directly.
     */
    public static void forward(ConvShape s, float[] xp, float[] w, float[] y) {
        if (Winograd.applies(s)) {
            Winograd.forward(s, xp, w, y);
            return;
        }
        int ci = s.in(), co = s.out(), wp = s.paddedW(), hp = s.paddedH(), oh = s.outH(), ow = s.outW();
        int n = s.taps() * ci, step = s.stride() * ci;
        int[] off = tapOffsets(s);
        for (int b = 0; b < s.batch(); b++)
            for (int i = 0; i < oh; i++)
                rows(xp, w, 0, y, off, n, ow, (b * hp + i * s.stride()) * wp * ci, step, co, (b * oh + i) * ow * co);
    }

    /**
     * A matrix product whose rows are gathered: y[y0 + r·co + o] = Σ_t x[x0 + r·step + off[t]] · w[w0 + t·co + o]
     * for rows r &lt; rows, t &lt; n and o &lt; co (a row of output pixels of a convolution, or a Winograd product).
     */
    static void rows(
            float[] x, float[] w, int w0, float[] y, int[] off, int n, int rows, int x0, int step, int co, int y0) {
        for (int o = 0; o < co; ) {
            int v = vectors(co - o), j = 0;
            for (; v > 0 && j + 4 <= rows; j += 4) {
                int xi = x0 + j * step, yi = y0 + j * co + o;
                if (v == 4) fourByFour(x, w, y, off, n, xi, step, co, w0 + o, yi);
                else if (v == 2) fourByTwo(x, w, y, off, n, xi, step, co, w0 + o, yi);
                else four(x, w, y, off, n, xi, step, co, w0 + o, yi);
            }
            for (int u = 0; u < Math.max(v, 1); u++, o += L) {
                VectorMask<Float> m = S.indexInRange(o, co);
                for (int jj = j; jj < rows; jj++) one(x, w, y, off, n, x0 + jj * step, co, w0 + o, y0 + jj * co + o, m);
            }
        }
    }

    /**
     * Whole vectors of channels one register block takes from the {@code left} channels: 4, 2, 1 or 0 (a masked tail).
     */
    static int vectors(int left) {
        if (WIDE && left >= 4 * L) return 4;
        if (left >= 2 * L) return 2;
        return left >= L ? 1 : 0;
    }

    private static void fourByFour(
            float[] xp, float[] w, float[] y, int[] off, int n, int x0, int step, int co, int o, int y0) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        for (int t = 0; t < n; t++) {
            int wi = t * co + o, xi = x0 + off[t];
            FloatVector w0 = FloatVector.fromArray(S, w, wi), w1 = FloatVector.fromArray(S, w, wi + L);
            FloatVector w2 = FloatVector.fromArray(S, w, wi + 2 * L), w3 = FloatVector.fromArray(S, w, wi + 3 * L);
            FloatVector p0 = FloatVector.broadcast(S, xp[xi]), p1 = FloatVector.broadcast(S, xp[xi + step]);
            FloatVector p2 = FloatVector.broadcast(S, xp[xi + 2 * step]),
                    p3 = FloatVector.broadcast(S, xp[xi + 3 * step]);
            a0 = w0.fma(p0, a0);
            a1 = w0.fma(p1, a1);
            a2 = w0.fma(p2, a2);
            a3 = w0.fma(p3, a3);
            b0 = w1.fma(p0, b0);
            b1 = w1.fma(p1, b1);
            b2 = w1.fma(p2, b2);
            b3 = w1.fma(p3, b3);
            c0 = w2.fma(p0, c0);
            c1 = w2.fma(p1, c1);
            c2 = w2.fma(p2, c2);
            c3 = w2.fma(p3, c3);
            d0 = w3.fma(p0, d0);
            d1 = w3.fma(p1, d1);
            d2 = w3.fma(p2, d2);
            d3 = w3.fma(p3, d3);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + co);
        a2.intoArray(y, y0 + 2 * co);
        a3.intoArray(y, y0 + 3 * co);
        b0.intoArray(y, y0 + L);
        b1.intoArray(y, y0 + L + co);
        b2.intoArray(y, y0 + L + 2 * co);
        b3.intoArray(y, y0 + L + 3 * co);
        c0.intoArray(y, y0 + 2 * L);
        c1.intoArray(y, y0 + 2 * L + co);
        c2.intoArray(y, y0 + 2 * L + 2 * co);
        c3.intoArray(y, y0 + 2 * L + 3 * co);
        d0.intoArray(y, y0 + 3 * L);
        d1.intoArray(y, y0 + 3 * L + co);
        d2.intoArray(y, y0 + 3 * L + 2 * co);
        d3.intoArray(y, y0 + 3 * L + 3 * co);
    }

    private static void fourByTwo(
            float[] xp, float[] w, float[] y, int[] off, int n, int x0, int step, int co, int o, int y0) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int t = 0; t < n; t++) {
            FloatVector w0 = FloatVector.fromArray(S, w, t * co + o), w1 = FloatVector.fromArray(S, w, t * co + o + L);
            int xi = x0 + off[t];
            FloatVector p0 = FloatVector.broadcast(S, xp[xi]), p1 = FloatVector.broadcast(S, xp[xi + step]);
            FloatVector p2 = FloatVector.broadcast(S, xp[xi + 2 * step]),
                    p3 = FloatVector.broadcast(S, xp[xi + 3 * step]);
            a0 = w0.fma(p0, a0);
            a1 = w0.fma(p1, a1);
            a2 = w0.fma(p2, a2);
            a3 = w0.fma(p3, a3);
            b0 = w1.fma(p0, b0);
            b1 = w1.fma(p1, b1);
            b2 = w1.fma(p2, b2);
            b3 = w1.fma(p3, b3);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + co);
        a2.intoArray(y, y0 + 2 * co);
        a3.intoArray(y, y0 + 3 * co);
        b0.intoArray(y, y0 + L);
        b1.intoArray(y, y0 + L + co);
        b2.intoArray(y, y0 + L + 2 * co);
        b3.intoArray(y, y0 + L + 3 * co);
    }

    private static void four(
            float[] xp, float[] w, float[] y, int[] off, int n, int x0, int step, int co, int o, int y0) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int t = 0; t < n; t++) {
            FloatVector wv = FloatVector.fromArray(S, w, t * co + o);
            int xi = x0 + off[t];
            a0 = wv.fma(FloatVector.broadcast(S, xp[xi]), a0);
            a1 = wv.fma(FloatVector.broadcast(S, xp[xi + step]), a1);
            a2 = wv.fma(FloatVector.broadcast(S, xp[xi + 2 * step]), a2);
            a3 = wv.fma(FloatVector.broadcast(S, xp[xi + 3 * step]), a3);
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + co);
        a2.intoArray(y, y0 + 2 * co);
        a3.intoArray(y, y0 + 3 * co);
    }

    private static void one(
            float[] xp, float[] w, float[] y, int[] off, int n, int x0, int co, int o, int y0, VectorMask<Float> m) {
        FloatVector a = FloatVector.zero(S);
        for (int t = 0; t < n; t++)
            a = FloatVector.fromArray(S, w, t * co + o, m).fma(FloatVector.broadcast(S, xp[x0 + off[t]]), a);
        a.intoArray(y, y0, m);
    }

    /** Offset in the padded input of tap (dy, dx) and channel c from a window's top-left: index (dy·k + dx)·in + c. */
    static int[] tapOffsets(ConvShape s) {
        int ci = s.in(), wp = s.paddedW();
        int[] off = new int[s.taps() * ci];
        for (int dy = 0; dy < s.k(); dy++)
            for (int dx = 0; dx < s.k(); dx++)
                for (int c = 0; c < ci; c++) off[(dy * s.k() + dx) * ci + c] = (dy * wp + dx) * ci + c;
        return off;
    }

    /**
     * dw = Σ over the batch and the output positions of x ⊗ dy (overwrites dw), from the padded input xp: per 4
     * (tap, channel) rows of dw and a block of output channels, one flat loop over the output positions; where
     * {@link #forward} takes Winograd's form, its transposed form.
     */
    public static void weightGrad(ConvShape s, float[] xp, float[] dy, float[] dw) {
        VectorWeightGrad.weightGrad(s, xp, dy, dw);
    }

    /**
     * dx = ∂(Σ y·dy)/∂x. Stride 1: a convolution of the padded output gradient with the rotated, transposed weights,
     * dx[r, c] = Σ w[k−1−ty, k−1−tx][c][o] · D[r + ty, c + tx, o], on {@link #forward}'s kernel. Stride 2 (where that
     * convolution would run over the gradient spread over zeros, 4× the work): per output pixel the products with
     * every tap, col[q][t, c] = Σ_o dy[q, o] · w[t][c][o] (a 1 × 1 convolution on the same kernel), added to the input
     * pixels the taps read. {@code d} holds {@link #scratchSize} and {@code wt} weightSize(): scratch, overwritten.
     */
    public static void inputGrad(ConvShape s, float[] dy, float[] w, float[] dx, float[] d, float[] wt) {
        int k = s.k(), ci = s.in(), co = s.out();
        if (s.stride() == 2) {
            int m = s.taps() * ci;
            for (int tc = 0; tc < m; tc++) for (int o = 0; o < co; o++) wt[o * m + tc] = w[tc * co + o];
            forward(new ConvShape(s.batch(), s.outH(), s.outW(), co, m, 1, 1), dy, wt, d); // 1 × 1: no padding
            scatter(s, d, dx);
            return;
        }
        pad(new ConvShape(s.batch(), s.outH(), s.outW(), co, ci, k, 1), dy, d); // whole rows
        for (int ty = 0; ty < k; ty++)
            for (int tx = 0; tx < k; tx++)
                for (int o = 0; o < co; o++)
                    for (int c = 0; c < ci; c++)
                        wt[((ty * k + tx) * co + o) * ci + c] = w[(((k - 1 - ty) * k + k - 1 - tx) * ci + c) * co + o];
        forward(transposed(s), d, wt, dx);
    }

    /** dx = Σ over output pixels q and taps t of col[q][t, ·] at the input pixel tap t of q reads (borders dropped). */
    private static void scatter(ConvShape s, float[] col, float[] dx) {
        int k = s.k(), p = s.pad(), ci = s.in(), m = s.taps() * ci, h = s.height(), wd = s.width();
        Arrays.fill(dx, 0, s.inputSize(), 0f);
        for (int b = 0, q = 0; b < s.batch(); b++)
            for (int i = 0; i < s.outH(); i++)
                for (int j = 0; j < s.outW(); j++, q++)
                    for (int ty = 0; ty < k; ty++) {
                        int r = i * s.stride() + ty - p;
                        if (r < 0 || r >= h) continue;
                        for (int tx = 0; tx < k; tx++) {
                            int c = j * s.stride() + tx - p;
                            if (c < 0 || c >= wd) continue;
                            int from = q * m + (ty * k + tx) * ci, to = ((b * h + r) * wd + c) * ci;
                            for (int u = 0; u < ci; u += L) {
                                VectorMask<Float> mk = S.indexInRange(u, ci);
                                FloatVector.fromArray(S, col, from + u, mk)
                                        .add(FloatVector.fromArray(S, dx, to + u, mk))
                                        .intoArray(dx, to + u, mk);
                            }
                        }
                    }
    }

    /** Floats of {@link #inputGrad}'s scratch {@code d}. */
    public static int scratchSize(ConvShape s) {
        return s.stride() == 1 ? transposed(s).paddedSize() : s.batch() * s.outH() * s.outW() * s.taps() * s.in();
    }

    /** The shape of {@link #inputGrad}'s convolution: from the output gradient's channels back to the input's. */
    public static ConvShape transposed(ConvShape s) {
        return new ConvShape(s.batch(), s.height(), s.width(), s.out(), s.in(), s.k(), 1);
    }
}
