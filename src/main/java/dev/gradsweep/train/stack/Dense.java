package dev.gradsweep.train.stack;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's dense layer: z = x·W (+ b), a = f(z), with DL4J's own activation function (its forward works in place on a
 * copy of z, its backprop turns ∂L/∂a into ∂L/∂z over z, which is not needed after). The matmuls and the bias add
 * are the memory path's; so are ReLU's activation and the backprops of ReLU, sigmoid and tanh (see
 * {@link Ctx#biasActivate}, {@link Ctx#backprop}): each ND4J op there is a full pass over the [K, batch, units]
 * buffer and a fixed cost, and ReLU's backprop allocates a fresh buffer per call.
 */
final class Dense extends Part {
    private final Ctx c;
    private final INDArray w, b, dw, db, z, a, dx;
    /** Null for the identity, which needs no copy of z. */
    private final IActivation fn;

    private final Activation act;

    private INDArray x;

    /**
     * @param name the DL4J layer whose W (and b) this is
     * @param needDx false for the first layer: nothing consumes ∂L/∂(data)
     */
    Dense(Ctx c, String name, Activation act, boolean bias, boolean needDx) {
        this.c = c;
        this.w = c.at.param(name, "W");
        this.dw = c.at.grad(name, "W");
        this.b = bias ? Ctx.perRun(c.at.param(name, "b")) : null;
        this.db = bias ? c.at.grad(name, "b") : null;
        this.fn = act == Activation.IDENTITY
                ? null
                : NetworkFactory.activation(act).getActivationFunction();
        this.act = act;
        this.z = c.buffer(w.size(2));
        this.a = fn == null ? z : c.buffer(w.size(2));
        this.dx = needDx ? c.buffer(w.size(1)) : null;
    }

    @Override
    INDArray forward(INDArray x) {
        this.x = x;
        c.memory.matmul(x, w, z, false, false);
        return c.biasActivate(act, fn, z, b, a);
    }

    @Override
    INDArray output() {
        return a;
    }

    @Override
    INDArray backward(INDArray dy) {
        INDArray d = fn == null ? dy : c.backprop(act, fn, z, a, dy, z);
        c.memory.matmul(x, d, dw, true, false);
        if (b != null) c.sumOverBatch(d, db);
        if (dx == null) return null;
        c.memory.matmul(d, w, dx, false, true);
        return dx;
    }
}
