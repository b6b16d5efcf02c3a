package dev.gradsweep.transformer;

import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A sublayer F in its block's wrapping, on the residual stream x: pre y = a·x + c·F(N(x)); post y = N(a·x + c·F(x)).
 * a = {@link TransformerSpec#streamGain()} (1 residual and ReZero, DeepNorm's α, 0 without a skip), c = ReZero's
 * trained scalar α (1 otherwise), N the norm or the identity. y is the stream this sublayer hands on: the tap whose
 * RMS and δ = ‖∂L/∂y‖ the statistics report (after the norm under post placement, since that is what the next
 * sublayer reads and where the gradient from above arrives).
 */
final class Wrapper {
    private final Sublayer f;
    private final RowNorm norm;
    private final boolean pre;
    private final double gain;
    private final TrainingMemory memory;
    private final INDArray alpha, dAlpha, z, dF, dx;
    private INDArray fOut, y, dy, probe;

    /** norm null: none; alpha, dAlpha null: no ReZero scalar. */
    Wrapper(
            Sublayer f,
            RowNorm norm,
            boolean pre,
            double gain,
            INDArray alpha,
            INDArray dAlpha,
            DataType dt,
            long rows,
            long d,
            TrainingMemory memory) {
        this.f = f;
        this.memory = memory;
        this.norm = norm;
        this.pre = pre;
        this.gain = gain;
        this.alpha = alpha;
        this.dAlpha = dAlpha;
        z = Nd4j.create(dt, rows, d);
        dF = alpha == null ? null : Nd4j.create(dt, rows, d);
        dx = Nd4j.create(dt, rows, d);
    }

    INDArray forward(INDArray x) {
        fOut = f.forward(pre && norm != null ? norm.forward(x) : x);
        if (alpha != null) Nd4j.exec(new MulOp(fOut, alpha, z));
        else if (gain == 1) memory.add(fOut, x, z);
        else z.assign(fOut);
        if (alpha != null && gain == 1) z.addi(x);
        else if (gain != 0 && gain != 1) z.addi(x.mul(gain));
        y = !pre && norm != null ? norm.forward(z) : z;
        if (probe != null) y.addi(probe);
        return y;
    }

    /** ∂L/∂x (an array of its own: this wrapper's or its norm's) from ∂L/∂y. */
    INDArray backward(INDArray dy) {
        this.dy = dy;
        INDArray dz = !pre && norm != null ? norm.backward(dy, null) : dy;
        INDArray dFOut = dz;
        if (alpha != null) {
            INDArray prod = dz.mul(fOut); // ∂L/∂α = Σ ∂L/∂z ⊙ F
            prod.reshape('c', 1, prod.length()).sum(dAlpha.reshape(1), 1);
            dFOut = Nd4j.exec(new MulOp(dz, alpha, dF))[0];
        }
        INDArray du = f.backward(dFOut);
        if (pre && norm != null && gain == 1) return norm.backward(du, dz); // the skip's share in the norm's pass
        INDArray dxF = pre && norm != null ? norm.backward(du, null) : du;
        if (gain == 1) memory.add(dxF, dz, dx);
        else if (gain == 0) dx.assign(dxF);
        else memory.add(dxF, dz.mul(gain), dx);
        return dx;
    }

    /** The stream after this sublayer, as of the last forward. */
    INDArray stream() {
        return y;
    }

    /** ∂L/∂(stream) as of the last backward. */
    INDArray streamGradient() {
        return dy;
    }

    /** For finite differences: the next forwards add delta to the stream (null: stop). */
    void probe(INDArray delta) {
        probe = delta;
    }
}
