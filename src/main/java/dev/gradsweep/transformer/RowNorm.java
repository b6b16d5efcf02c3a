package dev.gradsweep.transformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer norm or RMSNorm of each row of a [rows, n] array, as ND4J ops: layer norm y = (x − μ)/√(σ² + ε) ⊙ γ + β
 * (σ² the biased variance over the row, as PyTorch's LayerNorm), RMSNorm y = x/√(mean(x²) + ε) ⊙ γ (no mean
 * removal, no bias). Both are x̂ = c/√(mean(c²) + ε) ⊙ γ (+ β) with c = x − μ or c = x, so one code path serves both;
 * backward: ∂L/∂x = (d − [mean(d)] − x̂ · mean(d ⊙ x̂)) / √(mean(c²) + ε), d = ∂L/∂y ⊙ γ, the bracket for layer norm.
 */
final class RowNorm {
    static final double EPS = 1e-5;
    private final boolean center;
    private final long n;
    private final INDArray gamma, beta, dGamma, dBeta, xhat, y, dx, tmp, inv, m1, m2;

    /** beta and dBeta null for RMSNorm; gamma, beta [1, n] views of the parameters, dGamma, dBeta of the gradient. */
    RowNorm(INDArray gamma, INDArray beta, INDArray dGamma, INDArray dBeta, DataType dt, long rows) {
        this.center = beta != null;
        this.gamma = gamma;
        this.beta = beta;
        this.dGamma = dGamma;
        this.dBeta = dBeta;
        n = gamma.length();
        xhat = Nd4j.create(dt, rows, n);
        y = Nd4j.create(dt, rows, n);
        dx = Nd4j.create(dt, rows, n);
        tmp = Nd4j.create(dt, rows, n);
        inv = Nd4j.create(dt, rows, 1);
        m1 = Nd4j.create(dt, rows, 1);
        m2 = Nd4j.create(dt, rows, 1);
    }

    // in-place ops into buffers allocated once: an allocation per op cost as much as the op at these sizes
    INDArray forward(INDArray x) {
        xhat.assign(x);
        if (center) xhat.subiColumnVector(x.mean(m1, true, 1));
        Nd4j.exec(new Dot(xhat, xhat, inv.reshape(inv.length()), 1));
        Transforms.pow(inv.divi(n).addi(EPS), -0.5, false);
        xhat.muliColumnVector(inv);
        Nd4j.exec(new MulOp(xhat, gamma, y));
        if (center) y.addiRowVector(beta);
        return y;
    }

    /** ∂L/∂x from ∂L/∂y (into an array of its own); the gradients of γ and β into their views. */
    INDArray backward(INDArray dy) {
        Nd4j.exec(new MulOp(dy, xhat, tmp));
        tmp.sum(dGamma.reshape(n), 0);
        if (center) dy.sum(dBeta.reshape(n), 0);
        Nd4j.exec(new MulOp(dy, gamma, dx)); // d = ∂L/∂y ⊙ γ
        Nd4j.exec(new Dot(dx, xhat, m2.reshape(m2.length()), 1));
        m2.divi(n);
        if (center) dx.subiColumnVector(dx.mean(m1, true, 1));
        dx.subi(tmp.assign(xhat).muliColumnVector(m2)).muliColumnVector(inv);
        return dx;
    }
}
