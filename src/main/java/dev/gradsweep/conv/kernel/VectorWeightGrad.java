package dev.gradsweep.conv.kernel;

import static dev.gradsweep.conv.kernel.VectorConv.L;
import static dev.gradsweep.conv.kernel.VectorConv.S;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * {@link VectorConv#weightGrad}'s kernels: register blocks of 4 rows of ∂W (4 (tap, channel) pairs) × 4, 2 or 1
 * vectors of output channels, each one flat loop over a chunk of output positions, on {@link VectorConv}'s species
 * (one float species in the JVM: docs/conv.md). The kernels store their own accumulators (see {@link VectorConv}).
 */
final class VectorWeightGrad {
    /**
     * Output positions per weight-gradient chunk (its output gradient: 32 KB at 64 channels; 64 and 256 were slower).
     */
    private static final int CHUNK = 128;

    private VectorWeightGrad() {}

    /**
     * dw = Σ over the batch and the output positions of x ⊗ dy (overwrites dw), from the padded input xp: per chunk
     * of {@value #CHUNK} output positions, every block of 4 (tap, channel) rows of dw and vectors of output channels,
     * one flat loop over the chunk adding to the rows' sums so far.
     */
    static void weightGrad(ConvShape s, float[] xp, float[] dy, float[] dw) {
        if (Winograd.applies(s)) {
            Winograd.weightGrad(s, xp, dy, dw);
            return;
        }
        int ci = s.in(), oh = s.outH(), ow = s.outW(), wp = s.paddedW(), hp = s.paddedH();
        int[] off = VectorConv.tapOffsets(s), pix = new int[s.batch() * oh * ow];
        for (int b = 0, q = 0; b < s.batch(); b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) pix[q++] = ((b * hp + i * s.stride()) * wp + j * s.stride()) * ci;
        Arrays.fill(dw, 0, s.weightSize(), 0f);
        for (int q = 0; q < pix.length; q += CHUNK) // a chunk's output gradient stays in L1 for every row of dw
        accumulate(xp, 0, dy, 0, dw, 0, pix, off, off.length, s.out(), q, Math.min(q + CHUNK, pix.length));
    }

    /**
     * dw[wb + r·co + o] += Σ_{q0 ≤ q &lt; q1} x[xb + pix[q] + off[r]] · dy[gb + q·co + o] for every row r &lt; n of dw
     * and o &lt; co: blocks of 4 rows × 4 or 2 vectors, then the rows and channels no block took.
     */
    static void accumulate(
            float[] x,
            int xb,
            float[] dy,
            int gb,
            float[] dw,
            int wb,
            int[] pix,
            int[] off,
            int n,
            int co,
            int q0,
            int q1) {
        for (int o = 0; o < co; ) {
            int v = VectorConv.vectors(co - o), r = 0;
            for (; v >= 2 && r + 4 <= n; r += 4)
                if (v == 4) rowsByFour(x, xb, dy, gb, dw, wb, pix, off, r, co, o, q0, q1);
                else rowsByTwo(x, xb, dy, gb, dw, wb, pix, off, r, co, o, q0, q1);
            for (int u = 0; u < Math.max(v, 1); u++, o += L) {
                VectorMask<Float> m = S.indexInRange(o, co);
                int t = r;
                for (; t + 4 <= n; t += 4) fourRows(x, xb, dy, gb, dw, wb, pix, off, t, co, o, m, q0, q1);
                for (; t < n; t++) {
                    int at = wb + t * co + o;
                    FloatVector a = FloatVector.fromArray(S, dw, at, m);
                    for (int q = q0; q < q1; q++)
                        a = FloatVector.fromArray(S, dy, gb + q * co + o, m)
                                .fma(FloatVector.broadcast(S, x[xb + pix[q] + off[t]]), a);
                    a.intoArray(dw, at, m);
                }
            }
        }
    }

    /** Rows t … t + 3 of dw, 4 vectors of output channels from o. */
    private static void rowsByFour(
            float[] xp,
            int xb,
            float[] dy,
            int gb,
            float[] dw,
            int wb,
            int[] pix,
            int[] off,
            int t,
            int co,
            int o,
            int q0,
            int q1) {
        int f0 = xb + off[t], f1 = xb + off[t + 1], f2 = xb + off[t + 2], f3 = xb + off[t + 3];
        int at = wb + t * co + o; // the sums of the chunks before
        FloatVector a0 = FloatVector.fromArray(S, dw, at), a1 = FloatVector.fromArray(S, dw, at + co);
        FloatVector a2 = FloatVector.fromArray(S, dw, at + 2 * co), a3 = FloatVector.fromArray(S, dw, at + 3 * co);
        FloatVector b0 = FloatVector.fromArray(S, dw, at + L), b1 = FloatVector.fromArray(S, dw, at + L + co);
        FloatVector b2 = FloatVector.fromArray(S, dw, at + L + 2 * co);
        FloatVector b3 = FloatVector.fromArray(S, dw, at + L + 3 * co);
        FloatVector c0 = FloatVector.fromArray(S, dw, at + 2 * L);
        FloatVector c1 = FloatVector.fromArray(S, dw, at + 2 * L + co);
        FloatVector c2 = FloatVector.fromArray(S, dw, at + 2 * L + 2 * co);
        FloatVector c3 = FloatVector.fromArray(S, dw, at + 2 * L + 3 * co);
        FloatVector d0 = FloatVector.fromArray(S, dw, at + 3 * L);
        FloatVector d1 = FloatVector.fromArray(S, dw, at + 3 * L + co);
        FloatVector d2 = FloatVector.fromArray(S, dw, at + 3 * L + 2 * co);
        FloatVector d3 = FloatVector.fromArray(S, dw, at + 3 * L + 3 * co);
        for (int q = q0; q < q1; q++) {
            int g = gb + q * co + o, x = pix[q];
            FloatVector g0 = FloatVector.fromArray(S, dy, g), g1 = FloatVector.fromArray(S, dy, g + L);
            FloatVector g2 = FloatVector.fromArray(S, dy, g + 2 * L), g3 = FloatVector.fromArray(S, dy, g + 3 * L);
            FloatVector x0 = FloatVector.broadcast(S, xp[x + f0]), x1 = FloatVector.broadcast(S, xp[x + f1]);
            FloatVector x2 = FloatVector.broadcast(S, xp[x + f2]), x3 = FloatVector.broadcast(S, xp[x + f3]);
            a0 = g0.fma(x0, a0);
            a1 = g0.fma(x1, a1);
            a2 = g0.fma(x2, a2);
            a3 = g0.fma(x3, a3);
            b0 = g1.fma(x0, b0);
            b1 = g1.fma(x1, b1);
            b2 = g1.fma(x2, b2);
            b3 = g1.fma(x3, b3);
            c0 = g2.fma(x0, c0);
            c1 = g2.fma(x1, c1);
            c2 = g2.fma(x2, c2);
            c3 = g2.fma(x3, c3);
            d0 = g3.fma(x0, d0);
            d1 = g3.fma(x1, d1);
            d2 = g3.fma(x2, d2);
            d3 = g3.fma(x3, d3);
        }
        a0.intoArray(dw, at);
        a1.intoArray(dw, at + co);
        a2.intoArray(dw, at + 2 * co);
        a3.intoArray(dw, at + 3 * co);
        b0.intoArray(dw, at + L);
        b1.intoArray(dw, at + L + co);
        b2.intoArray(dw, at + L + 2 * co);
        b3.intoArray(dw, at + L + 3 * co);
        c0.intoArray(dw, at + 2 * L);
        c1.intoArray(dw, at + 2 * L + co);
        c2.intoArray(dw, at + 2 * L + 2 * co);
        c3.intoArray(dw, at + 2 * L + 3 * co);
        d0.intoArray(dw, at + 3 * L);
        d1.intoArray(dw, at + 3 * L + co);
        d2.intoArray(dw, at + 3 * L + 2 * co);
        d3.intoArray(dw, at + 3 * L + 3 * co);
    }

    /** Rows t … t + 3 of dw, 2 vectors of output channels from o. */
    private static void rowsByTwo(
            float[] xp,
            int xb,
            float[] dy,
            int gb,
            float[] dw,
            int wb,
            int[] pix,
            int[] off,
            int t,
            int co,
            int o,
            int q0,
            int q1) {
        int f0 = xb + off[t], f1 = xb + off[t + 1], f2 = xb + off[t + 2], f3 = xb + off[t + 3];
        int at = wb + t * co + o; // the sums of the chunks before
        FloatVector a0 = FloatVector.fromArray(S, dw, at), a1 = FloatVector.fromArray(S, dw, at + co);
        FloatVector a2 = FloatVector.fromArray(S, dw, at + 2 * co), a3 = FloatVector.fromArray(S, dw, at + 3 * co);
        FloatVector b0 = FloatVector.fromArray(S, dw, at + L), b1 = FloatVector.fromArray(S, dw, at + L + co);
        FloatVector b2 = FloatVector.fromArray(S, dw, at + L + 2 * co);
        FloatVector b3 = FloatVector.fromArray(S, dw, at + L + 3 * co);
        for (int q = q0; q < q1; q++) {
            int g = gb + q * co + o, x = pix[q];
            FloatVector g0 = FloatVector.fromArray(S, dy, g), g1 = FloatVector.fromArray(S, dy, g + L);
            FloatVector x0 = FloatVector.broadcast(S, xp[x + f0]), x1 = FloatVector.broadcast(S, xp[x + f1]);
            FloatVector x2 = FloatVector.broadcast(S, xp[x + f2]), x3 = FloatVector.broadcast(S, xp[x + f3]);
            a0 = g0.fma(x0, a0);
            a1 = g0.fma(x1, a1);
            a2 = g0.fma(x2, a2);
            a3 = g0.fma(x3, a3);
            b0 = g1.fma(x0, b0);
            b1 = g1.fma(x1, b1);
            b2 = g1.fma(x2, b2);
            b3 = g1.fma(x3, b3);
        }
        a0.intoArray(dw, at);
        a1.intoArray(dw, at + co);
        a2.intoArray(dw, at + 2 * co);
        a3.intoArray(dw, at + 3 * co);
        b0.intoArray(dw, at + L);
        b1.intoArray(dw, at + L + co);
        b2.intoArray(dw, at + L + 2 * co);
        b3.intoArray(dw, at + L + 3 * co);
    }

    /** Rows t … t + 3 of dw, one (masked) vector of output channels from o. */
    private static void fourRows(
            float[] xp,
            int xb,
            float[] dy,
            int gb,
            float[] dw,
            int wb,
            int[] pix,
            int[] off,
            int t,
            int co,
            int o,
            VectorMask<Float> m,
            int q0,
            int q1) {
        int f0 = xb + off[t], f1 = xb + off[t + 1], f2 = xb + off[t + 2], f3 = xb + off[t + 3], at = wb + t * co + o;
        FloatVector a0 = FloatVector.fromArray(S, dw, at, m), a1 = FloatVector.fromArray(S, dw, at + co, m);
        FloatVector a2 = FloatVector.fromArray(S, dw, at + 2 * co, m),
                a3 = FloatVector.fromArray(S, dw, at + 3 * co, m);
        for (int q = q0; q < q1; q++) {
            FloatVector g = FloatVector.fromArray(S, dy, gb + q * co + o, m);
            int x = pix[q];
            a0 = g.fma(FloatVector.broadcast(S, xp[x + f0]), a0);
            a1 = g.fma(FloatVector.broadcast(S, xp[x + f1]), a1);
            a2 = g.fma(FloatVector.broadcast(S, xp[x + f2]), a2);
            a3 = g.fma(FloatVector.broadcast(S, xp[x + f3]), a3);
        }
        a0.intoArray(dw, at, m);
        a1.intoArray(dw, at + co, m);
        a2.intoArray(dw, at + 2 * co, m);
        a3.intoArray(dw, at + 3 * co, m);
    }
}
