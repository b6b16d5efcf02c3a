package dev.gradsweep.train.stack;

import dev.gradsweep.model.GradTap;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link GradTap} over K runs: Σ (∂L/∂y)² of a block's output, per run, into {@link #sumSq}. */
final class Tap {
    final double[] sumSq;
    private final Segment[] runs;
    private final TrainingMemory memory;

    Tap(Ctx c, long units, TrainingMemory memory) {
        this.memory = memory;
        this.sumSq = new double[c.k];
        int per = (int) (c.batch * units);
        runs = new Segment[c.k];
        for (int r = 0; r < c.k; r++) runs[r] = new Segment(-1, "", "", r * per, per, true);
    }

    void take(INDArray dy) {
        memory.sumSq(dy.reshape(dy.length()), runs, sumSq);
    }
}
