package dev.gradsweep.train.stack;

import dev.gradsweep.model.LayerNorm;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link LayerNorm} over K runs: each example's row is normalised alone, so the K·batch rows are one [K·batch, n]
 * array, and only the gain and bias ([K, 1, n]) are per run. The same operations in the same order as LayerNorm's,
 * on buffers allocated once; each direction is one call of the memory path (the host path fuses LayerNorm's ~10 ND4J
 * passes forward and ~12 backward into one or two passes over host memory).
 */
final class StackedLayerNorm extends Part {
    private final Ctx c;
    /** gamma, beta: [K, n] views of the per-run gain and bias. */
    private final INDArray gamma, beta, dGamma, dBeta;

    private final TrainingMemory.LayerNormBuffers b;

    StackedLayerNorm(Ctx c, String name, long n) {
        this.c = c;
        gamma = Ctx.perRun(c.at.param(name, "gamma"));
        beta = Ctx.perRun(c.at.param(name, "beta"));
        dGamma = c.at.grad(name, "gamma");
        dBeta = c.at.grad(name, "beta");
        b = new TrainingMemory.LayerNormBuffers(c.dt, c.k, c.batch, n);
    }

    @Override
    INDArray forward(INDArray x) {
        c.memory.layerNormForward(x, gamma, beta, LayerNorm.EPS, b);
        return b.y;
    }

    @Override
    INDArray output() {
        return b.y;
    }

    @Override
    INDArray backward(INDArray dy) {
        return c.memory.layerNormBackward(dy, gamma, dGamma, dBeta, b);
    }
}
