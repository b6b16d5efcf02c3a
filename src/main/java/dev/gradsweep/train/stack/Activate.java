package dev.gradsweep.train.stack;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's ActivationLayer, a = f(x), after a norm; its backprop runs on a copy of x, as DL4J's does. ReLU runs as the
 * memory path's passes (see {@link Dense}).
 */
final class Activate extends Part {
    private final Ctx c;
    private final IActivation fn;
    private final boolean relu;
    private final INDArray a, z;
    private INDArray x;

    Activate(Ctx c, Activation act, long units) {
        this.c = c;
        this.relu = act == Activation.RELU;
        this.fn = NetworkFactory.activation(act).getActivationFunction();
        this.a = c.buffer(units);
        this.z = c.buffer(units);
    }

    @Override
    INDArray forward(INDArray x) {
        this.x = x;
        return c.biasActivate(fn, relu, x, null, a); // without a bias, x is only read
    }

    @Override
    INDArray output() {
        return a;
    }

    @Override
    INDArray backward(INDArray dy) {
        return c.backprop(fn, relu, relu ? x : z.assign(x), dy, z); // the ReLU pass does not write x
    }
}
