package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A residual block of NetworkFactory, y = x + F(u) with F = fc2(f(fc1(u))) (ReZero: α·F), u = N(x) with a pre norm,
 * else x; a post norm gives N(x + F(x)). Its output is tapped: Σ (∂L/∂y)² per run.
 */
final class Block extends Part {
    private final Part preNorm, fc1, fc2, gain, postNorm;
    private final Tap tap;
    private final INDArray sum;

    /** @param preNorm, gain, postNorm null when absent */
    Block(Ctx c, long units, Part preNorm, Part fc1, Part fc2, Part gain, Part postNorm, Tap tap) {
        this.preNorm = preNorm;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.gain = gain;
        this.postNorm = postNorm;
        this.tap = tap;
        this.sum = c.buffer(units);
    }

    @Override
    INDArray forward(INDArray x) {
        INDArray f = fc2.forward(fc1.forward(preNorm == null ? x : preNorm.forward(x)));
        if (gain != null) f = gain.forward(f);
        x.add(f, sum);
        return postNorm == null ? sum : postNorm.forward(sum);
    }

    @Override
    INDArray output() {
        return postNorm == null ? sum : postNorm.output();
    }

    @Override
    INDArray backward(INDArray dy) {
        tap.take(dy);
        INDArray ds = postNorm == null ? dy : postNorm.backward(dy);
        INDArray df = gain == null ? ds : gain.backward(ds);
        INDArray du = fc1.backward(fc2.backward(df));
        INDArray dx = preNorm == null ? du : preNorm.backward(du);
        return dx.addi(ds); // the skip's share; dx is fc1's or the norm's own buffer
    }
}
