package dev.gradsweep.conv.kernel;

import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link ConvShape}'s convolution and gradients with libnd4j's {@code conv2d} / {@code conv2d_bp} ops, NHWC with
 * weights [k, k, in, out] (YXIO) and explicit zero padding k / 2 (ND4J's "same" mode pads a stride-2 convolution
 * asymmetrically, which is not the shape's): the portable path of {@code TrainingMemory.conv}, any backend, any
 * dtype. Activations are the engine's [B·H·W, C] arrays, weights [k·k·in, out].
 */
public final class NdConv {
    private NdConv() {}

    private static Conv2DConfig config(ConvShape s) {
        return Conv2DConfig.builder()
                .kH(s.k())
                .kW(s.k())
                .sH(s.stride())
                .sW(s.stride())
                .pH(s.pad())
                .pW(s.pad())
                .dH(1)
                .dW(1)
                .paddingMode(PaddingMode.VALID)
                .dataFormat(Conv2DConfig.NHWC)
                .weightsFormat(WeightsFormat.YXIO)
                .build();
    }

    static INDArray image(INDArray a, int b, int h, int w, int c) {
        return a.reshape('c', b, h, w, c);
    }

    static INDArray kernel(ConvShape s, INDArray w) {
        return w.reshape('c', s.k(), s.k(), s.in(), s.out());
    }

    /** y [B·oh·ow, out] ← x [B·H·W, in] ∗ w. */
    public static void forward(ConvShape s, INDArray x, INDArray w, INDArray y) {
        Nd4j.exec(new Conv2D(
                image(x, s.batch(), s.height(), s.width(), s.in()),
                kernel(s, w),
                null,
                image(y, s.batch(), s.outH(), s.outW(), s.out()),
                config(s)));
    }

    /** dw ← ∂(Σ y·dy)/∂w and, with dx non-null, dx ← ∂(Σ y·dy)/∂x (both overwritten). */
    public static void backward(ConvShape s, INDArray x, INDArray w, INDArray dy, INDArray dx, INDArray dw) {
        INDArray gx = dx != null ? dx : x.ulike();
        // conv2d's integer arguments (as Conv2D.addArgs): kernel, stride, padding, dilation, mode 0 (explicit), NHWC 1,
        // YXIO 0
        int k = s.k(), st = s.stride(), p = s.pad();
        int[] args = {k, k, st, st, p, p, 1, 1, 0, 1, WeightsFormat.YXIO.ordinal()};
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                .addInputs(
                        image(x, s.batch(), s.height(), s.width(), s.in()),
                        kernel(s, w),
                        image(dy, s.batch(), s.outH(), s.outW(), s.out()))
                .addOutputs(image(gx, s.batch(), s.height(), s.width(), s.in()), kernel(s, dw))
                .addIntegerArguments(args)
                .build());
    }
}
