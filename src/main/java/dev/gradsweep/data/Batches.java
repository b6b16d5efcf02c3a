package dev.gradsweep.data;

import dev.gradsweep.hostmem.HostMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Random;

/**
 * Minibatches drawn without replacement, reshuffled each epoch from the run's seed. The two batch arrays are
 * allocated once and refilled from host memory every step, so batching costs no ND4J op and no allocation.
 */
public final class Batches {
    private final TaskData data;
    private final int batch;
    private final int[] order;
    private final Random rng;
    private int cursor;
    public final INDArray features;
    public final INDArray labels;

    public Batches(TaskData data, int batch, DataType dtype, long seed) {
        this(data, batch, seed, Nd4j.create(dtype, batch, data.inputs).detach(), Nd4j.create(dtype, batch, data.outputs).detach());
    }

    /** Fills the given [batch × inputs] / [batch × outputs] arrays, which may be contiguous views of larger arrays. */
    public Batches(TaskData data, int batch, long seed, INDArray features, INDArray labels) {
        if (batch > data.n)
            throw new IllegalArgumentException("batch " + batch + " is larger than the task's " + data.n + " samples");
        this.data = data;
        this.batch = batch;
        this.order = new int[data.n];
        for (int i = 0; i < order.length; i++) order[i] = i;
        this.rng = new Random(seed * 31 + 7);
        this.cursor = data.n; // forces a shuffle on the first call
        this.features = features;
        this.labels = labels;
    }

    /** Fills {@link #features} and {@link #labels} with the next minibatch. */
    public void next() {
        if (cursor + batch > order.length) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            cursor = 0;
        }
        fill(features, data.x, data.inputs);
        fill(labels, data.y, data.outputs);
        cursor += batch;
    }

    private void fill(INDArray target, double[] src, int cols) {
        int at = HostMemory.offset(target);
        if (target.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = target.data().asNioDouble();
            for (int r = 0; r < batch; r++) b.put(at + r * cols, src, order[cursor + r] * cols, cols);
        } else {
            FloatBuffer b = target.data().asNioFloat();
            for (int r = 0; r < batch; r++) {
                int base = order[cursor + r] * cols;
                for (int c = 0; c < cols; c++) b.put(at + r * cols + c, (float) src[base + c]);
            }
        }
    }
}
