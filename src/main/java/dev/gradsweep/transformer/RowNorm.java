package dev.gradsweep.transformer;

import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.stats.TrainingMemory.LayerNormBuffers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer norm or RMSNorm of each row of a [rows, n] array, as ND4J ops: layer norm y = (x − μ)/√(σ² + ε) ⊙ γ + β
 * (σ² the biased variance over the row, as PyTorch's LayerNorm), RMSNorm y = x/√(mean(x²) + ε) ⊙ γ (no mean
 * removal, no bias). Both are x̂ = c/√(mean(c²) + ε) ⊙ γ (+ β) with c = x − μ or c = x, so one derivation serves both;
 * backward: ∂L/∂x = (d − [mean(d)] − x̂ · mean(d ⊙ x̂)) / √(mean(c²) + ε), d = ∂L/∂y ⊙ γ, the bracket for layer norm.
 * Layer norm runs as one run of the stacked engine's {@link TrainingMemory#layerNormForward} and backward (host
 * passes on the host path, ≈ 14 % of a bare step as ND4J ops); RMSNorm as the ND4J ops below.
 */
final class RowNorm {
    static final double EPS = 1e-5;
    private final boolean center;
    private final long n;
    private final long rows;
    private final TrainingMemory memory;
    private final LayerNormBuffers ln;
    private final INDArray gamma, beta, dGamma, dBeta, xhat, y, dx, tmp, inv, m2;

    /** beta and dBeta null for RMSNorm; gamma, beta [1, n] views of the parameters, dGamma, dBeta of the gradient. */
    RowNorm(
            INDArray gamma,
            INDArray beta,
            INDArray dGamma,
            INDArray dBeta,
            DataType dt,
            long rows,
            TrainingMemory memory) {
        this.center = beta != null;
        this.gamma = gamma;
        this.beta = beta;
        this.dGamma = beta != null ? Sublayer.row3(dGamma) : dGamma;
        this.dBeta = beta != null ? Sublayer.row3(dBeta) : null;
        this.rows = rows;
        this.memory = memory;
        n = gamma.length();
        if (center) {
            ln = new LayerNormBuffers(dt, 1, (int) rows, n);
            y = ln.y.reshape('c', rows, n);
            dx = ln.dx.reshape('c', rows, n);
            xhat = tmp = inv = m2 = null;
            return;
        }
        ln = null;
        xhat = Nd4j.create(dt, rows, n);
        y = Nd4j.create(dt, rows, n);
        dx = Nd4j.create(dt, rows, n);
        tmp = Nd4j.create(dt, rows, n);
        inv = Nd4j.create(dt, rows, 1);
        m2 = Nd4j.create(dt, rows, 1);
    }

    // in-place ops into buffers allocated once: an allocation per op cost as much as the op at these sizes
    INDArray forward(INDArray x) {
        if (center) {
            memory.layerNormForward(x.reshape('c', 1, rows, n), gamma, beta, EPS, ln);
            return y;
        }
        xhat.assign(x);
        Nd4j.exec(new Dot(xhat, xhat, inv.reshape(inv.length()), 1));
        Transforms.pow(inv.divi(n).addi(EPS), -0.5, false);
        xhat.muliColumnVector(inv);
        Nd4j.exec(new MulOp(xhat, gamma, y));
        return y;
    }

    /** ∂L/∂x from ∂L/∂y (into an array of its own); the gradients of γ and β into their views. */
    INDArray backward(INDArray dy) {
        if (center) {
            memory.layerNormBackward(dy.reshape('c', 1, rows, n), gamma, dGamma, dBeta, ln);
            return dx;
        }
        Nd4j.exec(new MulOp(dy, xhat, tmp));
        tmp.sum(dGamma.reshape(n), 0);
        Nd4j.exec(new MulOp(dy, gamma, dx)); // d = ∂L/∂y ⊙ γ
        Nd4j.exec(new Dot(dx, xhat, m2.reshape(m2.length()), 1));
        m2.divi(n);
        dx.subi(tmp.assign(xhat).muliColumnVector(m2)).muliColumnVector(inv);
        return dx;
    }
}
