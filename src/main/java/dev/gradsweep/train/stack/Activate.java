package dev.gradsweep.train.stack;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's ActivationLayer, a = f(x), after a norm; its backprop runs on a copy of x, as DL4J's does, except where the
 * memory path's pass reads x or a without writing it (ReLU, sigmoid, tanh; see {@link Dense}).
 */
final class Activate extends Part {
    private final Ctx c;
    private final IActivation fn;
    private final Activation act;
    private final INDArray a, z;
    private INDArray x;

    Activate(Ctx c, Activation act, long units) {
        this.c = c;
        this.act = act;
        this.fn = NetworkFactory.activation(act).getActivationFunction();
        this.a = c.buffer(units);
        this.z = c.buffer(units);
    }

    @Override
    INDArray forward(INDArray x) {
        this.x = x;
        return c.biasActivate(act, fn, x, null, a); // without a bias, x is only read
    }

    @Override
    INDArray output() {
        return a;
    }

    @Override
    INDArray backward(INDArray dy) {
        boolean copy = act != Activation.RELU && !TrainingMemory.backpropsFromOutput(act);
        return c.backprop(act, fn, copy ? z.assign(x) : x, a, dy, z); // the memory path's passes do not write x
    }
}
