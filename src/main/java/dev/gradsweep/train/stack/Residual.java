package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a residual and a highway block share: u = N(x) with a pre norm, else x; the sum x + branch(u); a post norm
 * gives N(sum). Its output is tapped: Σ (∂L/∂y)² per run. The subclass computes the branch and its backward.
 */
abstract class Residual extends Part {
    private final Part preNorm, postNorm;
    private final Tap tap;
    final Ctx c;
    /** [K, batch, units]: x + branch(u), before the post norm. */
    final INDArray sum;

    /** @param preNorm, postNorm null when absent */
    Residual(Ctx c, long units, Part preNorm, Part postNorm, Tap tap) {
        this.preNorm = preNorm;
        this.postNorm = postNorm;
        this.tap = tap;
        this.c = c;
        this.sum = c.buffer(units);
    }

    /** {@link #sum} = x + the branch of u. */
    abstract void addBranch(INDArray x, INDArray u);

    /**
     * @param ds ∂L/∂(sum)
     * @return ∂L/∂u through the branch, in a buffer the branch owns (the pre norm's backward or the skip's share may
     *     overwrite it)
     */
    abstract INDArray branchBackward(INDArray ds);

    /** The skip's share of ∂L/∂x, read after {@link #branchBackward}. */
    abstract INDArray skipBackward(INDArray ds);

    @Override
    final INDArray forward(INDArray x) {
        addBranch(x, preNorm == null ? x : preNorm.forward(x));
        return postNorm == null ? sum : postNorm.forward(sum);
    }

    @Override
    final INDArray output() {
        return postNorm == null ? sum : postNorm.output();
    }

    @Override
    final INDArray backward(INDArray dy) {
        tap.take(dy);
        INDArray ds = postNorm == null ? dy : postNorm.backward(dy);
        INDArray du = branchBackward(ds);
        INDArray dx = preNorm == null ? du : preNorm.backward(du);
        c.memory.add(dx, skipBackward(ds), dx); // dx is the branch's or the pre norm's own buffer
        return dx;
    }
}
