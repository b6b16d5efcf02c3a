package dev.gradsweep.transformer;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The feed-forward sublayer F(u) = f(u W1ᵀ + b1) W2ᵀ + b2, W1 [ffn·d, d], W2 [d, ffn·d] (PyTorch's [out, in]
 * layout), f the run's activation through DL4J's implementation (forward and derivative).
 */
final class Ffn implements Sublayer {
    private final INDArray w1, b1, w2, b2, dw1, db1, dw2, db2, h1, a1, out, da, dh1, du;
    /** h1, a1 and out as the [1, rows, ·] arrays of the stacked engine's host passes (one run). */
    private final INDArray h1k, a1k, outk;

    private final IActivation fn;
    private final Activation act;
    private final TrainingMemory memory;
    private INDArray u;

    /** p: {w1, b1, w2, b2} parameter views, g: the same views of the gradient. */
    Ffn(INDArray[] p, INDArray[] g, Activation act, DataType dt, long rows, TrainingMemory memory) {
        this.act = act;
        this.memory = memory;
        w1 = p[0];
        b1 = p[1];
        w2 = p[2];
        b2 = p[3];
        dw1 = g[0];
        db1 = Sublayer.row3(g[1]);
        dw2 = g[2];
        db2 = Sublayer.row3(g[3]);
        long f = w1.size(0), d = w1.size(1);
        fn = NetworkFactory.activation(act).getActivationFunction();
        h1 = Nd4j.create(dt, rows, f);
        a1 = Nd4j.create(dt, rows, f);
        da = Nd4j.create(dt, rows, f);
        dh1 = Nd4j.create(dt, rows, f);
        out = Nd4j.create(dt, rows, d);
        du = Nd4j.create(dt, rows, d);
        h1k = Sublayer.view(h1, 0, 1, rows, f);
        a1k = Sublayer.view(a1, 0, 1, rows, f);
        outk = Sublayer.view(out, 0, 1, rows, d);
    }

    @Override
    public INDArray forward(INDArray u) {
        this.u = u;
        memory.matmul(u, w1, h1, false, true);
        if (act == Activation.RELU) memory.biasRelu(h1k, b1, a1k); // one host pass for the bias and the ReLU
        else {
            memory.addRows(h1k, b1);
            INDArray a = fn.getActivation(a1.assign(h1), true);
            if (a != a1) a1.assign(a);
        }
        memory.matmul(a1, w2, out, false, true);
        memory.addRows(outk, b2);
        return out;
    }

    @Override
    public INDArray backward(INDArray dF) {
        memory.matmul(dF, a1, dw2, true, false);
        memory.sumOverBatch(dF.reshape('c', 1, dF.size(0), dF.size(1)), db2);
        memory.matmul(dF, w2, da, false, false);
        // the seam's host passes where it has them (DL4J's ReLU backprop allocates a new array each call)
        INDArray dh;
        if (act == Activation.RELU) dh = memory.reluBackprop(h1, da, dh1);
        else if (TrainingMemory.backpropsFromOutput(act)) dh = memory.backpropFromOutput(act, h1, a1, da, dh1);
        else dh = fn.backprop(dh1.assign(h1), da).getFirst(); // DL4J's backprop writes over its input
        memory.matmul(dh, u, dw1, true, false);
        memory.sumOverBatch(dh.reshape('c', 1, dh.size(0), dh.size(1)), db1);
        memory.matmul(dh, w1, du, false, false);
        return du;
    }
}
