package dev.gradsweep.train.stack;

import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every part of one stack shares: K, the batch, the data type, the parameter layout, and the memory path of its
 * host passes.
 */
final class Ctx {
    final int k, batch;
    final DataType dt;
    final StackLayout at;
    final TrainingMemory memory;

    Ctx(int k, int batch, DataType dt, StackLayout at, TrainingMemory memory) {
        this.k = k;
        this.batch = batch;
        this.dt = dt;
        this.at = at;
        this.memory = memory;
    }

    /** A [K, batch, units] buffer. */
    INDArray buffer(long units) {
        return Nd4j.create(dt, k, batch, units);
    }

    /** See {@link TrainingMemory#sumOverBatch}: a dense layer's bias gradient. */
    void sumOverBatch(INDArray d, INDArray into) {
        memory.sumOverBatch(d, into);
    }

    /** a = f(z) with DL4J's activation (which works in place on the copy, or returns a new array). */
    private static INDArray activate(IActivation fn, INDArray z, INDArray a) {
        INDArray r = fn.getActivation(a.assign(z), true);
        if (r != a) a.assign(r);
        return a;
    }

    /**
     * a = f(z + b), b [K, units] or null: ReLU's bias add and activation as one pass of the memory path, else b
     * added into z in place and DL4J's activation ({@code fn} null: the identity, which returns z itself).
     */
    INDArray biasActivate(IActivation fn, boolean relu, INDArray z, INDArray b, INDArray a) {
        if (relu) {
            memory.biasRelu(z, b, a);
            return a;
        }
        if (b != null) addRows(z, b);
        return fn == null ? z : activate(fn, z, a);
    }

    /**
     * ∂L/∂z of a = f(z) from dy = ∂L/∂a: ReLU as the memory path's pass into {@code out}, else DL4J's backprop, which
     * overwrites z (pass a copy where z is needed after).
     */
    INDArray backprop(IActivation fn, boolean relu, INDArray z, INDArray dy, INDArray out) {
        return relu ? memory.reluBackprop(z, dy, out) : fn.backprop(z, dy).getFirst();
    }

    /**
     * The [K, units] view of a per-run row [K, 1, units] (a bias, a gain), the operand of {@link #addRows} and
     * {@link #mulRows}.
     */
    static INDArray perRun(INDArray row) {
        return row.reshape('c', row.size(0), row.size(2));
    }

    /**
     * a [K, batch, units] += each run's row [K, units], in place. ND4J's broadcasting {@code addi} would first
     * materialise the row at a's full size, a temporary per call that only a collection frees.
     */
    static void addRows(INDArray a, INDArray rows) {
        Nd4j.exec(new BroadcastAddOp(a, rows, a, 0, 2));
    }

    /** out [K, batch, units] = a ⊙ each run's row [K, units] (see {@link #addRows}). */
    static void mulRows(INDArray a, INDArray rows, INDArray out) {
        Nd4j.exec(new BroadcastMulOp(a, rows, out, 0, 2));
    }

    /** out [K, batch, units] = a · each run's scalar [K]. */
    static void mulRuns(INDArray a, INDArray scalars, INDArray out) {
        Nd4j.exec(new BroadcastMulOp(a, scalars, out, 0));
    }

    /** The [K·batch, units] view of a [K, batch, units] buffer (rows are examples, of run 0 first). */
    static INDArray rows(INDArray a) {
        return a.reshape('c', a.size(0) * a.size(1), a.size(2));
    }
}
