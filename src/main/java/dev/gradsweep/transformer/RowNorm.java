package dev.gradsweep.transformer;

import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Layer norm or RMSNorm of each row of a [rows, n] array: layer norm y = (x − μ)/√(σ² + ε) ⊙ γ + β (σ² the biased
 * variance over the row, as PyTorch's LayerNorm), RMSNorm y = x/√(mean(x²) + ε) ⊙ γ (no mean removal, no bias). Both
 * are x̂ = c/√(mean(c²) + ε) ⊙ γ (+ β) with c = x − μ or c = x, so one derivation serves both; backward: ∂L/∂x = (d −
 * [mean(d)] − x̂ · mean(d ⊙ x̂)) / √(mean(c²) + ε), d = ∂L/∂y ⊙ γ, the bracket for layer norm. Both directions are
 * {@link TrainingMemory#rowNorm} and its backward: one pass per row on the host path (the stacked engine's layer-norm
 * passes, which repeat ND4J's sequential sums, took ≈ 9 % of a bare pre-LN step for 9 norms).
 */
final class RowNorm {
    static final double EPS = 1e-5;
    private final TrainingMemory memory;
    private final INDArray gamma, beta, dGamma, dBeta, xhat, inv, y, dx;

    /** beta and dBeta null for RMSNorm; gamma, beta [1, n] views of the parameters, dGamma, dBeta of the gradient. */
    RowNorm(
            INDArray gamma,
            INDArray beta,
            INDArray dGamma,
            INDArray dBeta,
            DataType dt,
            long rows,
            TrainingMemory memory) {
        this.gamma = gamma;
        this.beta = beta;
        this.dGamma = dGamma;
        this.dBeta = dBeta;
        this.memory = memory;
        long n = gamma.length();
        xhat = Nd4j.create(dt, rows, n);
        y = Nd4j.create(dt, rows, n);
        dx = Nd4j.create(dt, rows, n);
        inv = Nd4j.create(dt, rows, 1);
    }

    /** y = N(x), an array of its own (valid until the next forward). */
    INDArray forward(INDArray x) {
        memory.rowNorm(x, gamma, beta, EPS, xhat, inv, y);
        return y;
    }

    /**
     * ∂L/∂x from ∂L/∂y, plus {@code res} when non-null (a residual share, added in the same pass), into an array of
     * its own; the gradients of γ and β into their views.
     */
    INDArray backward(INDArray dy, INDArray res) {
        memory.rowNormBackward(dy, gamma, xhat, inv, res, dGamma, dBeta, dx);
        return dx;
    }
}
