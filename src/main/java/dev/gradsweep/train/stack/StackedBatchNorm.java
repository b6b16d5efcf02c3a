package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastDivOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DL4J's BatchNormalization layer on dense input, training mode, over K runs: each run's batch is normalised by its
 * own statistics, so every mean and variance is a reduction over axis 1 (the batch) of the [K, batch, n] arrays into
 * [K, n], one row per run. The operations are those of DL4J's built-in path in its order (forward:
 * x̂ = (x − μ)/√(σ² + ε), biased σ²; backward through μ and σ²), on buffers allocated once.
 *
 * <p>The running statistics follow DL4J's convention with {@code useLogStd} (its default): the parameters
 * {@code mean} and {@code log10stdev} move by mean ← mean − (1 − d)(mean − μ) and, with v = (10^log10stdev)²,
 * v' = d·v + (1 − d)·σ², log10stdev ← log10stdev − log(v / v') / (2 ln 10). DL4J puts these deltas in the
 * parameters' gradient slots and applies them with a no-op updater; here they are applied to the parameters
 * directly during backward (nothing reads them while training), and the gradient slots stay 0, so the stack's
 * shared optimizer leaves them unchanged (a zero gradient is a zero update for SGD, momentum and Adam).
 */
final class StackedBatchNorm extends Part {
    /** DL4J's BatchNormalization.ONE_ON_2LOGE_10. */
    private static final double ONE_ON_2LOGE_10 = 1.0 / (2 * Math.log(10.0));

    private final Ctx c;
    private final double decay, eps;
    /** [K, n] views of the gain, bias and running statistics (parameters) and of the gain's and bias's gradients. */
    private final INDArray gamma, beta, runMean, runLog10Std;

    private final INDArray dGamma, dBeta;
    /** [K, batch, n]: x − μ, x̂, the output, ∂L/∂x̂ (then ∂L/∂x, in place) and a scratch buffer. */
    private final INDArray xMu, xHat, y, dx, tmp;
    /** [K, n]: μ, σ², √(σ² + ε), and scratch rows for the backward's sums and the running statistics' update. */
    private final INDArray mean, var, std, r1, r2, r3;

    StackedBatchNorm(Ctx c, String name, long n, double decay, double eps) {
        this.c = c;
        this.decay = decay;
        this.eps = eps;
        gamma = Ctx.perRun(c.at.param(name, "gamma"));
        beta = Ctx.perRun(c.at.param(name, "beta"));
        runMean = Ctx.perRun(c.at.param(name, "mean"));
        runLog10Std = Ctx.perRun(c.at.param(name, "log10stdev"));
        dGamma = c.at.grad(name, "gamma");
        dBeta = c.at.grad(name, "beta");
        xMu = c.buffer(n);
        xHat = c.buffer(n);
        y = c.buffer(n);
        dx = c.buffer(n);
        tmp = c.buffer(n);
        mean = Nd4j.create(c.dt, c.k, n);
        var = Nd4j.create(c.dt, c.k, n);
        std = Nd4j.create(c.dt, c.k, n);
        r1 = Nd4j.create(c.dt, c.k, n);
        r2 = Nd4j.create(c.dt, c.k, n);
        r3 = Nd4j.create(c.dt, c.k, n);
    }

    @Override
    INDArray forward(INDArray x) {
        x.mean(mean, 1);
        Nd4j.exec(new Variance(x, var, false, 1)); // biased, as DL4J's x.var(false, 0)
        Transforms.sqrt(std.assign(var).addi(eps), false);
        Nd4j.exec(new BroadcastSubOp(x, mean, xMu, 0, 2));
        Nd4j.exec(new BroadcastDivOp(xMu, std, xHat, 0, 2));
        Ctx.mulRows(xHat, gamma, y);
        Ctx.addRows(y, beta);
        return y;
    }

    @Override
    INDArray output() {
        return y;
    }

    @Override
    INDArray backward(INDArray dy) {
        c.sumOverBatch(dy, dBeta);
        c.sumOverBatch(dy.mul(xHat, tmp), dGamma);
        Ctx.mulRows(dy, gamma, dx); // ∂L/∂x̂
        // ∂L/∂σ² = Σ (∂L/∂x̂ ⊙ (x − μ)) · (−1/2) · std⁻³, into r1
        dx.mul(xMu, tmp).sum(r1, 1);
        r1.muli(-0.5).muli(Transforms.pow(r2.assign(std), -3.0, false));
        // ∂L/∂μ = −Σ ∂L/∂x̂ / std + Σ (x − μ) · (−2/batch) · ∂L/∂σ², into r2
        dx.sum(r2, 1);
        r2.divi(std).negi();
        xMu.sum(r3, 1);
        r2.addi(r3.muli(-2.0 / c.batch).muli(r1));
        // ∂L/∂x = ∂L/∂x̂ / std + (x − μ) · 2/batch · ∂L/∂σ² + ∂L/∂μ / batch (x − μ is not needed after this)
        Nd4j.exec(new BroadcastDivOp(dx, std, dx, 0, 2));
        Nd4j.exec(new BroadcastMulOp(xMu, r1.muli(2.0 / c.batch), xMu, 0, 2));
        dx.addi(xMu);
        Nd4j.exec(new BroadcastAddOp(dx, r2.muli(1.0 / c.batch), dx, 0, 2));
        updateRunningStatistics();
        return dx;
    }

    /** DL4J's deltas of the running mean and log10 standard deviation, subtracted as its parameter step does. */
    private void updateRunningStatistics() {
        Nd4j.exec(new SubOp(runMean, mean, r1));
        runMean.subi(r1.muli(1 - decay));
        Transforms.pow(r1.assign(10.0), runLog10Std, false);
        r1.muli(r1); // v
        r1.mul(decay, r2).addi(var.mul(1 - decay, r3)); // v'
        Nd4j.exec(new DivOp(r1, r2, r3));
        runLog10Std.subi(Transforms.log(r3, false).muli(ONE_ON_2LOGE_10));
    }
}
