package dev.gradsweep.conv.kernel;

/**
 * One 2-D convolution of a batch: NHWC activations [batch, height, width, in] → [batch, outH, outW, out], a k × k
 * kernel (k odd) at stride 1 or 2 with zero padding k / 2 ("same" at stride 1, halving at stride 2), weights
 * [k·k taps][in][out] with tap = dy·k + dx. The kernels' long argument lists of sizes live here.
 */
public record ConvShape(int batch, int height, int width, int in, int out, int k, int stride) {
    public ConvShape {
        if (batch < 1 || height < 1 || width < 1 || in < 1 || out < 1)
            throw new IllegalArgumentException("sizes must be >= 1: " + this);
        if (k < 1 || k % 2 == 0) throw new IllegalArgumentException("kernel size must be odd: " + k);
        if (stride != 1 && stride != 2) throw new IllegalArgumentException("stride must be 1 or 2: " + stride);
    }

    public int pad() {
        return k / 2;
    }

    public int outH() {
        return (height + 2 * pad() - k) / stride + 1;
    }

    public int outW() {
        return (width + 2 * pad() - k) / stride + 1;
    }

    /** Rows and columns of the input with its zero border ({@link VectorConv#pad}). */
    public int paddedH() {
        return height + 2 * pad();
    }

    public int paddedW() {
        return width + 2 * pad();
    }

    public int taps() {
        return k * k;
    }

    public int inputSize() {
        return batch * height * width * in;
    }

    public int paddedSize() {
        return batch * paddedH() * paddedW() * in;
    }

    public int outputSize() {
        return batch * outH() * outW() * out;
    }

    public int weightSize() {
        return taps() * in * out;
    }
}
