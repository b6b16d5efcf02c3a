package dev.gradsweep.train.stack;

import dev.gradsweep.model.ScalarGain;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link ScalarGain} over K runs: y = α·x with one α per run ([K, 1, 1]); ∂L/∂α sums ε ⊙ x over batch and units. */
final class Gain extends Part {
    private final INDArray alpha, dAlphaFlat, y, dx, tmpRuns;
    private INDArray x;

    Gain(Ctx c, String name, long n) {
        alpha = c.at.param(name, "alpha").reshape(c.k);
        dAlphaFlat = c.at.grad(name, "alpha").reshape(c.k);
        y = c.buffer(n);
        dx = c.buffer(n);
        tmpRuns = dx.reshape('c', c.k, (long) c.batch * n);
    }

    @Override
    INDArray forward(INDArray x) {
        this.x = x;
        Ctx.mulRuns(x, alpha, y);
        return y;
    }

    @Override
    INDArray output() {
        return y;
    }

    @Override
    INDArray backward(INDArray dy) {
        dy.mul(x, dx);
        tmpRuns.sum(dAlphaFlat, 1); // dx is scratch until the next line
        Ctx.mulRuns(dy, alpha, dx);
        return dx;
    }
}
