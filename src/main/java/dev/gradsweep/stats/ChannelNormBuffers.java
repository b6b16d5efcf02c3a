package dev.gradsweep.stats;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The arrays of one conv net norm ({@link TrainingMemory#channelNorm}), allocated once: batch, group or layer norm of
 * [B·H·W, C] NHWC activations, viewed as [n, m, g, C/g] and normalised over dims 1 and 3 for each (n, g). Batch
 * norm: n = 1, m = B·H·W, g = C; group norm: n = B, m = H·W, g groups; layer norm: g = 1. x̂, the output y, ∂L/∂x and
 * a scratch array are [rows, C]; the statistics μ, f = (σ² + ε)^-½ and the backward's two means are [n, g].
 *
 * <p>The ND4J form of the passes (the portable path's, {@link #forwardOps}, {@link #backwardOps}) writes only into
 * these arrays: no per-call temporaries, which ND4J frees only when the collector finalises their Java objects.
 */
public final class ChannelNormBuffers {
    public final int n, m, g, channels;
    public final double eps;
    public final INDArray xhat, y, dx, tmp, mean, inv, m1, m2;
    private final INDArray xhat4, dx4, tmp4, meanFlat, invFlat;

    /** @param groups 0 for batch norm, else the groups per sample (1: layer norm) */
    public ChannelNormBuffers(DataType dt, int batch, int pixels, int channels, int groups, double eps) {
        int rows = batch * pixels;
        this.n = groups == 0 ? 1 : batch;
        this.m = groups == 0 ? rows : pixels;
        this.g = groups == 0 ? channels : groups;
        this.channels = channels;
        this.eps = eps;
        xhat = Nd4j.create(dt, rows, channels);
        y = Nd4j.create(dt, rows, channels);
        dx = Nd4j.create(dt, rows, channels);
        tmp = Nd4j.create(dt, rows, channels);
        mean = Nd4j.create(dt, n, g);
        inv = Nd4j.create(dt, n, g);
        m1 = Nd4j.create(dt, n, g);
        m2 = Nd4j.create(dt, n, g);
        xhat4 = view(xhat);
        dx4 = view(dx);
        tmp4 = view(tmp);
        meanFlat = mean.reshape(n * g);
        invFlat = inv.reshape(n * g);
    }

    /** Batch norm: statistics per channel over all rows. */
    public boolean perChannel() {
        return n == 1 && g == channels;
    }

    private INDArray view(INDArray a) {
        return a.reshape('c', n, m, g, channels / g);
    }

    /**
     * The forward as ND4J ops: batch norm as column reductions of [rows, C] (ND4J's fast path), else on the 4-d view.
     * Broadcasts are explicit ops into their target: M2.1's {@code addiRowVector} and the like allocate a result.
     */
    void forwardOps(INDArray x, INDArray gamma, INDArray beta) {
        if (perChannel()) {
            x.mean(meanFlat, 0);
            Nd4j.exec(new BroadcastSubOp(x, meanFlat, xhat, 1));
            tmp.assign(xhat).muli(xhat).mean(invFlat, 0);
        } else {
            INDArray x4 = view(x);
            x4.mean(mean, 1, 3);
            Nd4j.exec(new BroadcastSubOp(x4, mean, xhat4, 0, 2));
            tmp4.assign(xhat4).muli(xhat4).mean(inv, 1, 3);
        }
        Transforms.pow(inv.addi(eps), -0.5, false);
        if (perChannel()) Nd4j.exec(new BroadcastMulOp(xhat, invFlat, xhat, 1));
        else Nd4j.exec(new BroadcastMulOp(xhat4, inv, xhat4, 0, 2));
        Nd4j.exec(new BroadcastMulOp(xhat, gamma.reshape(channels), y, 1));
        Nd4j.exec(new BroadcastAddOp(y, beta.reshape(channels), y, 1));
    }

    /** The backward as ND4J ops: dγ, dβ into their [1, C] views, ∂L/∂x into {@link #dx}. */
    void backwardOps(INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta) {
        INDArray gammaFlat = gamma.reshape(channels);
        tmp.assign(dy).muli(xhat).sum(dGamma.reshape(channels), 0);
        dy.sum(dBeta.reshape(channels), 0);
        Nd4j.exec(new BroadcastMulOp(dy, gammaFlat, tmp, 1)); // d = dy ⊙ γ
        if (perChannel()) { // mean d = γ ⊙ Σ dy / rows, mean(d ⊙ x̂) = γ ⊙ ∂L/∂γ / rows: no further reductions
            m1.assign(dBeta).muli(gamma).divi(m);
            m2.assign(dGamma).muli(gamma).divi(m);
            Nd4j.exec(new BroadcastMulOp(xhat, m2.reshape(channels), dx, 1));
            dx.rsubi(tmp);
            Nd4j.exec(new BroadcastSubOp(dx, m1.reshape(channels), dx, 1));
            Nd4j.exec(new BroadcastMulOp(dx, invFlat, dx, 1));
            return;
        }
        tmp4.mean(m1, 1, 3);
        dx.assign(tmp).muli(xhat);
        dx4.mean(m2, 1, 3);
        Nd4j.exec(new BroadcastMulOp(xhat4, m2, dx4, 0, 2));
        dx4.rsubi(tmp4);
        Nd4j.exec(new BroadcastSubOp(dx4, m1, dx4, 0, 2));
        Nd4j.exec(new BroadcastMulOp(dx4, inv, dx4, 0, 2));
    }
}
