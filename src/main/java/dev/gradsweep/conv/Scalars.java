package dev.gradsweep.conv;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Learned scalars ([1, 1] views of the flat buffer: ReZero's α, Fixup's biases and multipliers) applied to whole
 * arrays as ND4J operands, never read to the host, and their gradients reduced into their views on the device.
 */
final class Scalars {
    private Scalars() {}

    /** out ← x · s. */
    static INDArray mul(INDArray x, INDArray s, INDArray out) {
        return Nd4j.exec(new MulOp(x, s, out))[0];
    }

    /** out ← x + s. */
    static INDArray add(INDArray x, INDArray s, INDArray out) {
        return Nd4j.exec(new AddOp(x, s, out))[0];
    }

    /** grad ← Σ a (a scalar bias's gradient). */
    static void sum(INDArray a, INDArray grad) {
        a.reshape('c', 1, a.length()).sum(grad.reshape(1), 1);
    }

    /** grad ← Σ a ⊙ b (a multiplier's gradient). */
    static void dot(INDArray a, INDArray b, INDArray grad) {
        Nd4j.exec(new Dot(a, b, grad.reshape(1))); // one reduction, no product array
    }
}
