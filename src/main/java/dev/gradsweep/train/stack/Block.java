package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A residual block of NetworkFactory, y = x + F(u) with F = fc2(f(fc1(u))) (ReZero: α·F), u = N(x) with a pre norm,
 * else x; a post norm gives N(x + F(x)). The norms and the tap are {@link Residual}'s.
 */
final class Block extends Residual {
    private final Part fc1, fc2, gain;

    /** @param preNorm, gain, postNorm null when absent */
    Block(Ctx c, long units, Part preNorm, Part fc1, Part fc2, Part gain, Part postNorm, Tap tap) {
        super(c, units, preNorm, postNorm, tap);
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.gain = gain;
    }

    @Override
    void addBranch(INDArray x, INDArray u) {
        INDArray f = fc2.forward(fc1.forward(u));
        if (gain != null) f = gain.forward(f);
        c.memory.add(x, f, sum);
    }

    @Override
    INDArray branchBackward(INDArray ds) {
        INDArray df = gain == null ? ds : gain.backward(ds);
        return fc1.backward(fc2.backward(df));
    }

    @Override
    INDArray skipBackward(INDArray ds) {
        return ds;
    }
}
