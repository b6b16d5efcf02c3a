package dev.gradsweep.conv;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One convolution of a {@link ConvShape} on [B·H·W, C] rows through {@link TrainingMemory#conv}, with a bias per
 * output channel when {@code b} is not null. Backward overwrites its gradient views and returns ∂L/∂x (null when
 * built without one: the stem's input needs none).
 */
final class ConvLayer {
    final ConvShape shape;
    private final INDArray w, dw, b, db, y, dx;
    private final TrainingMemory memory;
    private INDArray x;

    ConvLayer(ConvShape s, INDArray[] p, INDArray[] g, boolean inputGradient, DataType dt, TrainingMemory memory) {
        this.shape = s;
        this.memory = memory;
        w = p[0];
        dw = g[0];
        b = p.length > 1 ? p[1] : null;
        db = p.length > 1 ? g[1] : null;
        y = Nd4j.create(dt, (long) s.batch() * s.outH() * s.outW(), s.out());
        dx = inputGradient ? Nd4j.create(dt, (long) s.batch() * s.height() * s.width(), s.in()) : null;
    }

    INDArray forward(INDArray x) {
        this.x = x;
        memory.conv(shape, x, w, y);
        if (b != null) y.addiRowVector(b);
        return y;
    }

    INDArray backward(INDArray dy) {
        memory.convBackward(shape, x, w, dy, dx, dw);
        if (db != null) columnSums(memory, dy, 1, db);
        return dx;
    }

    /**
     * into [k, C] ← the column sums of each of the k equal row blocks of a [k·r, C] (a bias gradient: k = 1; a
     * per-sample pooling: k = B), through the seam's {@link TrainingMemory#sumOverBatch}: no temporary array.
     */
    static void columnSums(TrainingMemory memory, INDArray a, int k, INDArray into) {
        long c = a.size(1);
        memory.sumOverBatch(a.reshape('c', k, a.size(0) / k, c), into.reshape('c', k, 1, c));
    }

    /** The output of the last forward. */
    INDArray output() {
        return y;
    }

    /** The bias's gradient view, or null without a bias. */
    INDArray biasGradient() {
        return db;
    }
}
