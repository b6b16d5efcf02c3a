package dev.gradsweep.transformer;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sublayer F of a block on the [B·T, width] residual stream: forward keeps what its backward needs; backward takes
 * ∂L/∂F, adds nothing to the caller's arrays, writes its parameters' gradients into their views of the flat gradient
 * buffer and returns ∂L/∂u (an array of its own, valid until its next backward).
 */
interface Sublayer {
    INDArray forward(INDArray u);

    INDArray backward(INDArray dF);

    /** A contiguous parameter or gradient row [1, n] as the [1, 1, n] view the stacked engine's passes take. */
    static INDArray row3(INDArray v) {
        return view(v, 0, 1, 1, v.length());
    }

    /** A row-major view of {@code flat[off, off + Π shape)} with the given shape. */
    static INDArray view(INDArray flat, long off, long... shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return Nd4j.create(flat.data(), shape, stride, flat.offset() + off, 'c');
    }
}
