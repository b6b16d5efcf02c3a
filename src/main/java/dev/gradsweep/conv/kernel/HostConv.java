package dev.gradsweep.conv.kernel;

import java.nio.FloatBuffer;

/**
 * The host path's float32 convolution on Java arrays: {@link VectorConv} with grow-only scratch (the padded input, the
 * input gradient's scratch, the transposed weights) and numbered buffers its caller copies the arrays' host memory into
 * (the kernels run at half speed on direct buffers, docs/conv-engine.md). One instance per thread.
 */
public final class HostConv {
    private final float[][] slots = new float[8][];
    private static final int PADDED = 5, SPREAD = 6, ROTATED = 7;

    /** Scratch slot 0 … 4 of at least n floats (its contents are not kept between calls). */
    public float[] buffer(int slot, int n) {
        if (slot < 0 || slot >= PADDED) throw new IllegalArgumentException("slot " + slot);
        return grow(slot, n);
    }

    private float[] grow(int slot, int n) {
        if (slots[slot] == null || slots[slot].length < n) slots[slot] = new float[n];
        return slots[slot];
    }

    /** y ← x ∗ w (x unpadded NHWC, its elements at {@code offset} in a host buffer). */
    public void forward(ConvShape s, FloatBuffer x, int offset, float[] w, float[] y) {
        float[] xp = grow(PADDED, s.paddedSize());
        VectorConv.pad(s, x, offset, xp);
        VectorConv.forward(s, xp, w, y);
    }

    /** dw ← ∂(Σ y·dy)/∂w and, with dx non-null, dx ← ∂(Σ y·dy)/∂x (x as for {@link #forward}). */
    public void backward(ConvShape s, FloatBuffer x, int offset, float[] w, float[] dy, float[] dx, float[] dw) {
        float[] xp = grow(PADDED, s.paddedSize());
        VectorConv.pad(s, x, offset, xp);
        VectorConv.weightGrad(s, xp, dy, dw);
        if (dx == null) return;
        VectorConv.inputGrad(s, dy, w, dx, grow(SPREAD, VectorConv.scratchSize(s)), grow(ROTATED, s.weightSize()));
    }
}
