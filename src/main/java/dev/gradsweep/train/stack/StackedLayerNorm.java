package dev.gradsweep.train.stack;

import dev.gradsweep.model.LayerNorm;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@link LayerNorm} over K runs: each example's row is normalised alone, so the K·batch rows are one [K·batch, n]
 * array, and only the gain and bias ([K, 1, n]) are per run. The same operations in the same order as
 * LayerNorm's, on buffers allocated once.
 */
final class StackedLayerNorm extends Part {
    private final Ctx c;
    /** gamma, beta: [K, n] views of the per-run gain and bias. */
    private final INDArray gamma, beta, dGamma, dBeta;
    /** [K, batch, n]: x̂, the output, ∂L/∂x and a scratch buffer; xhat2, dx2, tmp2: [K·batch, n] views. */
    private final INDArray xhat, y, dx, tmp, xhat2, dx2, tmp2;
    /** [K·batch, 1]: 1/σ of each row, and two per-row means; flat: their [K·batch] views (reduction targets). */
    private final INDArray inv, m1, m2, invFlat, m1Flat, m2Flat;

    StackedLayerNorm(Ctx c, String name, long n) {
        this.c = c;
        gamma = Ctx.perRun(c.at.param(name, "gamma"));
        beta = Ctx.perRun(c.at.param(name, "beta"));
        dGamma = c.at.grad(name, "gamma");
        dBeta = c.at.grad(name, "beta");
        xhat = c.buffer(n);
        y = c.buffer(n);
        dx = c.buffer(n);
        tmp = c.buffer(n);
        xhat2 = Ctx.rows(xhat);
        dx2 = Ctx.rows(dx);
        tmp2 = Ctx.rows(tmp);
        long rows = (long) c.k * c.batch;
        inv = Nd4j.create(c.dt, rows, 1);
        m1 = Nd4j.create(c.dt, rows, 1);
        m2 = Nd4j.create(c.dt, rows, 1);
        invFlat = inv.reshape(rows);
        m1Flat = m1.reshape(rows);
        m2Flat = m2.reshape(rows);
    }

    @Override
    INDArray forward(INDArray x) {
        INDArray x2 = Ctx.rows(x);
        x2.mean(m1Flat, 1);
        xhat2.assign(x2).subiColumnVector(m1); // x − μ (a column op: ND4J's broadcast along rows is far slower)
        xhat2.mul(xhat2, tmp2).mean(invFlat, 1);
        Transforms.pow(inv.addi(LayerNorm.EPS), -0.5, false);
        xhat2.muliColumnVector(inv);
        Ctx.mulRows(xhat, gamma, y);
        Ctx.addRows(y, beta);
        return y;
    }

    @Override
    INDArray output() {
        return y;
    }

    @Override
    INDArray backward(INDArray dy) {
        c.sumOverBatch(dy.mul(xhat, tmp), dGamma);
        c.sumOverBatch(dy, dBeta);
        // dx = (1/σ)·(d − mean(d) − x̂·mean(d ⊙ x̂)), d = ε ⊙ γ, means over the units of each row
        Ctx.mulRows(dy, gamma, dx);
        dx2.mean(m1Flat, 1);
        dx2.mul(xhat2, tmp2).mean(m2Flat, 1);
        tmp2.assign(xhat2).muliColumnVector(m2);
        dx2.subiColumnVector(m1).subi(tmp2).muliColumnVector(inv);
        return dx;
    }
}
