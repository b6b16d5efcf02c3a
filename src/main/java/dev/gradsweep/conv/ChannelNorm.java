package dev.gradsweep.conv;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch, group or layer norm of the [B·H·W, C] activations, one code path: the array is viewed as [N, M, G, C/G]
 * and normalised over dims 1 and 3 for each (n, g), x̂ = (x − μ)/√(σ² + ε) with the biased variance, then y = x̂ ⊙ γ
 * + β per channel. Batch norm: N = 1, M = B·H·W, G = C (per channel over the batch, training-mode statistics; no
 * running statistics, since nothing is evaluated in inference mode); group norm: N = B, M = H·W, G groups; layer
 * norm: group norm with G = 1. Backward: ∂L/∂x = (d − mean d − x̂·mean(d ⊙ x̂))/σ with d = ∂L/∂y ⊙ γ and the same
 * means.
 */
final class ChannelNorm {
    static final double EPS = 1e-5;

    private final INDArray gamma, beta, dGamma, dBeta, xhat, y, dx, d;
    private final INDArray xhat4, dx4, d4;
    private final long n, m, g, cg;
    private INDArray inv;

    /**
     * @param groups 0 for batch norm, else the groups per sample (1: layer norm)
     * @param p {γ, β} parameter views [1, C], grads the same views of the gradient
     */
    ChannelNorm(INDArray[] p, INDArray[] grads, int batch, int pixels, int channels, int groups, DataType dt) {
        gamma = p[0];
        beta = p[1];
        dGamma = grads[0];
        dBeta = grads[1];
        long rows = (long) batch * pixels;
        n = groups == 0 ? 1 : batch;
        m = groups == 0 ? rows : pixels;
        g = groups == 0 ? channels : groups;
        cg = channels / g;
        xhat = Nd4j.create(dt, rows, channels);
        y = Nd4j.create(dt, rows, channels);
        dx = Nd4j.create(dt, rows, channels);
        d = Nd4j.create(dt, rows, channels);
        xhat4 = view(xhat);
        dx4 = view(dx);
        d4 = view(d);
    }

    private INDArray view(INDArray a) {
        return a.reshape('c', n, m, g, cg);
    }

    /** y = the norm of x (x is not written); valid until the next forward. */
    INDArray forward(INDArray x) {
        INDArray x4 = view(x);
        INDArray mean = x4.mean(1, 3);
        Nd4j.exec(new BroadcastSubOp(x4, mean, xhat4, 0, 2));
        INDArray var = xhat4.mul(xhat4).mean(1, 3);
        inv = Transforms.pow(var.addi(EPS), -0.5, false);
        Nd4j.exec(new BroadcastMulOp(xhat4, inv, xhat4, 0, 2));
        return y.assign(xhat).muliRowVector(gamma).addiRowVector(beta);
    }

    /** The output of the last forward. */
    INDArray output() {
        return y;
    }

    /** Writes ∂L/∂γ and ∂L/∂β into their views and returns ∂L/∂x (an array of its own). */
    INDArray backward(INDArray dy) {
        dGamma.assign(dy.mul(xhat).sum(true, 0));
        dBeta.assign(dy.sum(true, 0));
        d.assign(dy).muliRowVector(gamma);
        INDArray m1 = d4.mean(1, 3), m2 = d4.mul(xhat4).mean(1, 3);
        Nd4j.exec(new BroadcastMulOp(xhat4, m2, dx4, 0, 2));
        dx4.rsubi(d4);
        Nd4j.exec(new BroadcastSubOp(dx4, m1, dx4, 0, 2));
        Nd4j.exec(new BroadcastMulOp(dx4, inv, dx4, 0, 2));
        return dx;
    }

    /** ∂L/∂β of the last backward: the unit's δ where this norm sits before its activation. */
    INDArray betaGradient() {
        return dBeta;
    }
}
