package dev.gradsweep.data;

import dev.gradsweep.stats.TrainingMemory;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Minibatches drawn without replacement, reshuffled each epoch from the run's seed. The two batch arrays are
 * allocated once and refilled every step through the run's {@link TrainingMemory}: straight from host memory on the
 * CPU backend (no ND4J op, no allocation), through ND4J where host and device copies are separate.
 */
public final class Batches {
    private final TaskData data;
    private final int batch;
    private final int[] order;
    private final Random rng;
    private final TrainingMemory memory;
    private int cursor;
    public final INDArray features;
    public final INDArray labels;

    public Batches(TaskData data, int batch, DataType dtype, long seed) {
        this(data, batch, dtype, seed, TrainingMemory.forBackend());
    }

    public Batches(TaskData data, int batch, DataType dtype, long seed, TrainingMemory memory) {
        this(
                data,
                batch,
                seed,
                Nd4j.create(dtype, batch, data.inputs).detach(),
                Nd4j.create(dtype, batch, data.outputs).detach(),
                memory);
    }

    /** Fills the given [batch × inputs] / [batch × outputs] arrays, which may be contiguous views of larger arrays. */
    public Batches(TaskData data, int batch, long seed, INDArray features, INDArray labels, TrainingMemory memory) {
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
        this.memory = memory;
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
        memory.writeRows(features, data.x, order, cursor, batch, data.inputs);
        memory.writeRows(labels, data.y, order, cursor, batch, data.outputs);
        cursor += batch;
    }
}
