package dev.gradsweep.conv;

import dev.gradsweep.stats.ChannelNormBuffers;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch, group or layer norm of the [B·H·W, C] activations through {@link TrainingMemory#channelNorm} (the arrays and
 * the definition: {@link ChannelNormBuffers}): x̂ = (x − μ)/√(σ² + ε) with the biased variance, then y = x̂ ⊙ γ + β
 * per channel. Batch norm: per channel over the batch, training-mode statistics (no running statistics, since
 * nothing is evaluated in inference mode); group norm: per sample over each group of C/G channels; layer norm: group
 * norm with G = 1. Backward: ∂L/∂x = (d − mean d − x̂·mean(d ⊙ x̂))/σ with d = ∂L/∂y ⊙ γ and the same means.
 */
final class ChannelNorm {
    static final double EPS = 1e-5;

    private final INDArray gamma, beta, dGamma, dBeta;
    private final ChannelNormBuffers b;
    private final TrainingMemory memory;

    /**
     * @param groups 0 for batch norm, else the groups per sample (1: layer norm)
     * @param p {γ, β} parameter views [1, C], grads the same views of the gradient
     */
    ChannelNorm(
            INDArray[] p,
            INDArray[] grads,
            int batch,
            int pixels,
            int channels,
            int groups,
            DataType dt,
            TrainingMemory memory) {
        gamma = p[0];
        beta = p[1];
        dGamma = grads[0];
        dBeta = grads[1];
        this.memory = memory;
        b = new ChannelNormBuffers(dt, batch, pixels, channels, groups, EPS);
    }

    /** y = the norm of x (x is not written); valid until the next forward. */
    INDArray forward(INDArray x) {
        memory.channelNorm(x, gamma, beta, b);
        return b.y;
    }

    /** The output of the last forward. */
    INDArray output() {
        return b.y;
    }

    /** Writes ∂L/∂γ and ∂L/∂β into their views and returns ∂L/∂x (an array of its own). */
    INDArray backward(INDArray dy) {
        return memory.channelNormBackward(dy, gamma, dGamma, dBeta, b);
    }

    /** ∂L/∂β of the last backward: the unit's δ where this norm sits before its activation. */
    INDArray betaGradient() {
        return dBeta;
    }
}
