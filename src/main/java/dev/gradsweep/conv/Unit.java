package dev.gradsweep.conv;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.transformer.ParamLayout;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One layer of a {@link ConvNet} (docs/conv.md): the stem, a plain unit (one 3 × 3 conv) or a basic block (two), in
 * the spec's placement, with ReZero's α or Fixup's scalars. Built in two phases: the constructor adds its arrays to
 * the layout, {@link #bind} makes the parts on the allocated buffers. Besides its output it exposes what the
 * statistics read: the activation output, the response (He et al.'s Fig. 7: the 3 × 3 layer's output after its norm,
 * before the activation; for blocks the residual branch as it is added) and the array whose L2 norm is its δ.
 */
final class Unit {
    enum Kind {
        STEM,
        PLAIN,
        BLOCK
    }

    /** A conv weight to initialise: the run's init (he: He's) over (fanIn, fanOut), times {@code gain} (0: left at zero). */
    record Weight(int index, long fanIn, long fanOut, double gain, boolean he) {}

    final Kind kind;
    final int layer;
    final String name;
    private final ConvSpec spec;
    private final boolean pre, fixup;
    private final ConvShape s1, s2, sp;
    private final int w1, w2, wp, n0, n1, n2, np, alpha, fx;
    /** What the init sets: the conv weights ... */
    final List<Weight> weights = new ArrayList<>();
    /** ... and the arrays that start at 1 (norm gains, Fixup's multiplier). */
    final List<Integer> ones = new ArrayList<>();

    private ConvLayer c1, c2, proj;
    private ChannelNorm norm0, norm1, norm2, normP;
    private Act act0, act1, act2;
    private TrainingMemory memory;
    /** Block buffers: Fixup's shifted input and middle activation, the branch, the sum, gradients. */
    private INDArray xb, mid, mid2, branch, dBranch, sum, dx, dxs, colSum;
    /** ReZero's α, or Fixup's bias1a, bias1b, bias2a, bias2b, scale; and their gradients. */
    private INDArray[] sc, dsc;

    private INDArray response, dOut;
    /** For finite differences: added to a plain unit's response, or a block's output, in every forward (null: none). */
    INDArray probe;

    /**
     * @param s1 the first (or only) conv's shape; its input is the unit's input
     * @param blocks the number of blocks L (Fixup's scaling of the first conv by L^−½)
     */
    Unit(Kind kind, int layer, ConvSpec spec, ConvShape s1, ParamLayout layout, int blocks) {
        this.kind = kind;
        this.layer = layer;
        this.spec = spec;
        this.pre = spec.pre() && spec.skip() != Skip.FIXUP; // Fixup is the paper's (post) block
        this.fixup = spec.skip() == Skip.FIXUP && kind == Kind.BLOCK;
        boolean block = kind == Kind.BLOCK, norm = spec.norm() != Norm.NONE;
        boolean bias = !norm && spec.skip() != Skip.FIXUP; // β does a bias's job; Fixup has scalar biases
        this.name = kind == Kind.STEM ? "stem" : block ? "block" + layer : "conv" + layer;
        this.s1 = s1;
        this.s2 = block ? new ConvShape(s1.batch(), s1.outH(), s1.outW(), s1.out(), s1.out(), 3, 1) : null;
        boolean project = block && (s1.stride() != 1 || s1.in() != s1.out());
        this.sp =
                project ? new ConvShape(s1.batch(), s1.height(), s1.width(), s1.in(), s1.out(), 1, s1.stride()) : null;
        String p = block ? name + "." : name,
                nk = spec.norm() == Norm.BATCH ? "bn" : spec.norm() == Norm.GROUP ? "gn" : "ln";
        // arrays in forward order; a block's norms are numbered in order, bn1 bn2 (pre: input, middle)
        fx = fixup ? scalars(layout, p + "fixup", "bias1a", "bias1b", "bias2a", "bias2b", "scale") : -1;
        n0 = norm && pre && kind != Kind.STEM ? norm(layout, block ? p + nk + "1" : p + "." + nk, s1.in()) : -1;
        w1 = conv(layout, block ? p + "conv1" : name, s1, bias, fixup ? Math.pow(blocks, -0.5) : 1);
        n1 = norm && (block || !pre) ? norm(layout, block ? p + nk + (pre ? 2 : 1) : p + "." + nk, s1.out()) : -1;
        w2 = block ? conv(layout, p + "conv2", s2, bias, fixup ? 0 : 1) : -1;
        n2 = block && norm && !pre ? norm(layout, p + nk + "2", s2.out()) : -1;
        wp = project ? conv(layout, p + "proj", sp, bias, 1) : -1;
        np = project && norm && !pre ? norm(layout, p + "proj." + nk, sp.out()) : -1;
        alpha = block && spec.skip() == Skip.REZERO ? scalars(layout, p + "rezero", "alpha") : -1;
    }

    private int norm(ParamLayout l, String name, int channels) {
        int g = l.add(layer, name, "gamma", 1, channels);
        l.add(layer, name, "beta", 1, channels);
        ones.add(g);
        return g;
    }

    private int conv(ParamLayout l, String name, ConvShape s, boolean bias, double gain) {
        int w = l.add(layer, name, "W", (long) s.taps() * s.in(), s.out());
        if (bias) l.add(layer, name, "b", 1, s.out());
        weights.add(new Weight(w, (long) s.taps() * s.in(), (long) s.taps() * s.out(), gain, fixup && s != sp));
        return w;
    }

    private int scalars(ParamLayout l, String name, String... params) {
        int first = l.add(layer, name, params[0], 1, 1);
        for (int i = 1; i < params.length; i++) l.add(layer, name, params[i], 1, 1);
        if (params[params.length - 1].equals("scale")) ones.add(first + params.length - 1);
        return first;
    }

    private static INDArray[] views(ParamLayout l, int first, int n, boolean grad) {
        INDArray[] v = new INDArray[n];
        for (int i = 0; i < n; i++) v[i] = grad ? l.grad(first + i) : l.param(first + i);
        return v;
    }

    private ConvLayer convLayer(ParamLayout l, int w, ConvShape s, boolean dx, DataType dt, TrainingMemory memory) {
        var segs = l.segments();
        int n = w + 1 < segs.length && segs[w + 1].param.equals("b") ? 2 : 1;
        return new ConvLayer(s, views(l, w, n, false), views(l, w, n, true), dx, dt, memory);
    }

    private ChannelNorm channelNorm(
            ParamLayout l, int g, ConvShape s, boolean input, DataType dt, TrainingMemory memory) {
        if (g < 0) return null;
        int pixels = input ? s.height() * s.width() : s.outH() * s.outW(), c = input ? s.in() : s.out();
        return new ChannelNorm(
                views(l, g, 2, false), views(l, g, 2, true), s.batch(), pixels, c, spec.normGroups(), dt, memory);
    }

    void bind(ParamLayout l, DataType dt, TrainingMemory memory) {
        this.memory = memory;
        long in = (long) s1.batch() * s1.height() * s1.width(), out = (long) s1.batch() * s1.outH() * s1.outW();
        int ci = s1.in(), co = s1.out();
        Activation fn = spec.activation();
        c1 = convLayer(l, w1, s1, kind != Kind.STEM, dt, memory);
        c2 = s2 == null ? null : convLayer(l, w2, s2, true, dt, memory);
        proj = sp == null ? null : convLayer(l, wp, sp, true, dt, memory);
        norm0 = channelNorm(l, n0, s1, true, dt, memory);
        norm1 = channelNorm(l, n1, s1, false, dt, memory);
        norm2 = channelNorm(l, n2, s1, false, dt, memory);
        normP = channelNorm(l, np, s1, false, dt, memory);
        act0 = pre && kind != Kind.STEM ? new Act(fn, in, ci, dt, memory) : null;
        act1 = kind == Kind.BLOCK || !pre ? new Act(fn, out, co, dt, memory) : null;
        act2 = kind == Kind.BLOCK && !pre ? new Act(fn, out, co, dt, memory) : null;
        if (kind == Kind.BLOCK) {
            branch = Nd4j.create(dt, out, co);
            dBranch = Nd4j.create(dt, out, co);
            sum = Nd4j.create(dt, out, co);
            dx = Nd4j.create(dt, in, ci);
            dxs = Nd4j.create(dt, in, ci);
        }
        if (fixup) {
            sc = views(l, fx, 5, false);
            dsc = views(l, fx, 5, true);
            xb = Nd4j.create(dt, in, ci);
            mid = Nd4j.create(dt, out, co);
            mid2 = Nd4j.create(dt, out, co);
        } else if (alpha >= 0) {
            sc = new INDArray[] {l.param(alpha)};
            dsc = new INDArray[] {l.grad(alpha)};
        }
        if (kind == Kind.STEM) colSum = Nd4j.create(dt, 1, co);
    }

    /** The stem's conv rebuilt to return ∂L/∂x too (same parameter views): Balduzzi et al.'s input gradient. */
    void inputGradient(ParamLayout l, DataType dt, TrainingMemory memory) {
        c1 = convLayer(l, w1, s1, true, dt, memory);
    }

    INDArray forward(INDArray x) {
        if (kind != Kind.BLOCK) return single(x);
        return fixup ? fixupForward(x) : blockForward(x);
    }

    /** Writes the unit's gradients and returns ∂L/∂x (null for the stem). */
    INDArray backward(INDArray dy) {
        dOut = dy;
        if (kind != Kind.BLOCK) return singleBack(dy);
        return fixup ? fixupBackward(dy) : blockBackward(dy);
    }

    /** Stem or plain unit: post conv → norm → act; pre norm → act → conv (the stem: conv alone). */
    private INDArray single(INDArray x) {
        if (pre) {
            INDArray u = norm0 != null ? norm0.forward(x) : x;
            if (act0 != null) u = act0.forward(u);
            response = c1.forward(u);
            return probe != null ? response.addi(probe) : response;
        }
        response = c1.forward(x);
        if (norm1 != null) response = norm1.forward(response);
        if (probe != null) response.addi(probe);
        return act1.forward(response);
    }

    private INDArray singleBack(INDArray dy) {
        INDArray d = pre ? dy : act1.backward(dy);
        if (kind == Kind.STEM) ConvLayer.columnSums(memory, d, 1, colSum); // ∂L/∂(a bias at the response): the stem's δ
        if (!pre && norm1 != null) d = norm1.backward(d);
        d = c1.backward(d);
        if (!pre || d == null) return d;
        if (act0 != null) d = act0.backward(d);
        return norm0 != null ? norm0.backward(d) : d;
    }

    /** post: act(s + α·F(x)), F = norm(conv(act(norm(conv(x))))); pre: s + α·F(u), F = conv(act(norm(conv(u)))), u = act(norm(x)). */
    private INDArray blockForward(INDArray x) {
        INDArray u = x;
        if (pre) u = act0.forward(norm0 != null ? norm0.forward(x) : x);
        INDArray h = c1.forward(u);
        if (norm1 != null) h = norm1.forward(h);
        INDArray r = c2.forward(act1.forward(h));
        if (norm2 != null) r = norm2.forward(r);
        response = alpha >= 0 ? Scalars.mul(r, sc[0], branch) : r;
        INDArray s = proj != null ? proj.forward(u) : x;
        if (normP != null) s = normP.forward(s);
        add(s, response, sum);
        return probed(pre ? sum : act2.forward(sum));
    }

    /** out ← a + b in one pass of the seam. */
    private INDArray add(INDArray a, INDArray b, INDArray out) {
        memory.add(a, b, out);
        return out;
    }

    private INDArray probed(INDArray y) {
        return probe != null ? y.addi(probe) : y;
    }

    private INDArray blockBackward(INDArray dy) {
        INDArray dz = pre ? dy : act2.backward(dy), dr = dz;
        if (alpha >= 0) {
            Scalars.dot(dz, norm2 != null ? norm2.output() : c2.output(), dsc[0]);
            dr = Scalars.mul(dz, sc[0], dBranch);
        }
        if (norm2 != null) dr = norm2.backward(dr);
        INDArray dh = act1.backward(c2.backward(dr));
        if (norm1 != null) dh = norm1.backward(dh);
        INDArray du = c1.backward(dh);
        if (proj != null) {
            du = add(du, proj.backward(normP != null ? normP.backward(dz) : dz), dxs);
            if (!pre) return du;
        } else if (!pre) return add(du, dz, dx);
        INDArray d = act0.backward(du);
        if (norm0 != null) d = norm0.backward(d);
        return proj != null ? d : add(d, dz, dx);
    }

    /** Fixup: act(s + scale·conv2(act(conv1(x + b1a) + b1b) + b2a) + b2b), s = x or proj(x + b1a). */
    private INDArray fixupForward(INDArray x) {
        Scalars.add(x, sc[0], xb);
        INDArray h = Scalars.add(c1.forward(xb), sc[1], mid);
        INDArray g = act1.forward(h);
        INDArray r = c2.forward(Scalars.add(g, sc[2], mid2));
        response = Scalars.add(Scalars.mul(r, sc[4], branch), sc[3], branch);
        INDArray s = proj != null ? proj.forward(xb) : x;
        return probed(act2.forward(add(s, response, sum)));
    }

    private INDArray fixupBackward(INDArray dy) {
        INDArray dz = act2.backward(dy);
        Scalars.sum(dz, dsc[3]);
        Scalars.dot(dz, c2.output(), dsc[4]);
        INDArray dg = c2.backward(Scalars.mul(dz, sc[4], dBranch));
        Scalars.sum(dg, dsc[2]);
        INDArray dh = act1.backward(dg);
        Scalars.sum(dh, dsc[1]);
        INDArray dxb = c1.backward(dh);
        if (proj != null) {
            INDArray d = add(dxb, proj.backward(dz), dx);
            Scalars.sum(d, dsc[0]);
            return d;
        }
        Scalars.sum(dxb, dsc[0]);
        return add(dxb, dz, dx);
    }

    /** The output the layers row describes: plain units their activation's output, blocks their output. */
    INDArray activations() {
        if (kind == Kind.BLOCK) return pre ? sum : act2.output();
        if (pre) return act0 != null ? act0.output() : response;
        return act1.output();
    }

    /** The function that produced {@link #activations()} (null: a sum or a conv). */
    Activation activationFn() {
        return kind == Kind.BLOCK && pre || kind == Kind.STEM && pre ? null : spec.activation();
    }

    /** He et al.'s response of the last forward. */
    INDArray response() {
        return response;
    }

    /** The array whose L2 norm is the unit's δ after a backward (docs/conv.md). */
    INDArray delta() {
        if (kind == Kind.BLOCK) return dOut;
        if (kind == Kind.STEM) return colSum;
        ChannelNorm n = norm1 != null ? norm1 : norm0;
        return n != null ? n.betaGradient() : c1.biasGradient();
    }
}
