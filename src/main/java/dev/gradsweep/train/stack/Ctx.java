package dev.gradsweep.train.stack;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.TransformOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
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
     * The one ND4J transform DL4J's activation {@code act} runs in place over its input, here from z into a (no copy
     * of z first); null for the activations whose forward is not one such op.
     */
    static TransformOp transform(Activation act, INDArray z, INDArray a) {
        switch (act) {
            case SIGMOID:
                return new Sigmoid(z, a);
            case TANH:
                return new Tanh(z, a);
            case GELU:
                return new GELU(z, a);
            default:
                return null;
        }
    }

    /**
     * a = f(z + b), b [K, units] or null: ReLU's bias add and activation as one pass of the memory path; else b added
     * into z by the memory path and the activation's ND4J transform from z into a, or DL4J's activation on a copy
     * ({@code fn} null: the identity, which returns z itself).
     */
    INDArray biasActivate(Activation act, IActivation fn, INDArray z, INDArray b, INDArray a) {
        if (act == Activation.RELU) {
            memory.biasRelu(z, b, a);
            return a;
        }
        if (b != null) memory.addRows(z, b);
        if (fn == null) return z;
        TransformOp op = transform(act, z, a);
        if (op == null) return activate(fn, z, a);
        Nd4j.exec(op);
        return a;
    }

    /**
     * ∂L/∂z of a = f(z) from dy = ∂L/∂a into {@code out}: ReLU, sigmoid and tanh as the memory path's passes (the
     * latter two from a), else DL4J's backprop, which overwrites z (pass a copy where z is needed after; {@code out}
     * must then be z).
     */
    INDArray backprop(Activation act, IActivation fn, INDArray z, INDArray a, INDArray dy, INDArray out) {
        if (act == Activation.RELU) return memory.reluBackprop(z, dy, out);
        if (TrainingMemory.backpropsFromOutput(act)) return memory.backpropFromOutput(act, z, a, dy, out);
        return fn.backprop(z, dy).getFirst();
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
