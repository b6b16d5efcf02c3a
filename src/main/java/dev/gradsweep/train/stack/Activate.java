package dev.gradsweep.train.stack;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/** DL4J's ActivationLayer, a = f(x), after a norm; its backprop runs on a copy of x, as DL4J's does. */
final class Activate extends Part {
    private final IActivation fn;
    private final INDArray a, z;
    private INDArray x;

    Activate(Ctx c, Activation act, long units) {
        this.fn = NetworkFactory.activation(act).getActivationFunction();
        this.a = c.buffer(units);
        this.z = c.buffer(units);
    }

    @Override
    INDArray forward(INDArray x) {
        this.x = x;
        INDArray r = fn.getActivation(a.assign(x), true);
        if (r != a) a.assign(r);
        return a;
    }

    @Override
    INDArray output() {
        return a;
    }

    @Override
    INDArray backward(INDArray dy) {
        return fn.backprop(z.assign(x), dy).getFirst();
    }
}
