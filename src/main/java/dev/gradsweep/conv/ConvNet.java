package dev.gradsweep.conv;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.model.LogSoftmax;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.transformer.ParamLayout;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A conv net ({@link ConvSpec}, docs/conv.md) for a fixed batch size, forward and backward written out: stem (3 × 3
 * conv, layer −1) → {@code depth} units over the stages (layers 0 … depth − 1) → with pre placement a final norm and
 * activation → global average pooling → linear head (layer depth) → softmax cross-entropy, the mean over the batch.
 * Gradients are of that mean loss. Activations are NHWC [B·H·W, C] arrays; the parameters one flat buffer
 * ({@link ParamLayout}). Every host read goes through {@link TrainingMemory}.
 */
public final class ConvNet {
    private final ConvSpec spec;
    private final int batch, pixels, channels;
    private final TrainingMemory memory;
    private final ParamLayout layout = new ParamLayout();
    private final Unit[] units; // the stem, then the depth units
    private final ChannelNorm finalNorm;
    private final Act finalAct;
    private final INDArray x0, pooled, dPooled, logits, logp, yw, dz, dLast, headW, headB, dHeadW, dHeadB, lossArr;
    private final double[] lossHost = new double[1];
    private INDArray dInput; // ∂L/∂x after a backward, after keepInputGradient()

    public ConvNet(ConvSpec spec, int batch, TrainingMemory memory) {
        this.spec = spec;
        this.batch = batch;
        this.memory = memory;
        int n = spec.depth(), blocks = spec.blocks() ? n : 0;
        units = new Unit[n + 1];
        ConvShape s = new ConvShape(batch, spec.inHeight(), spec.inWidth(), spec.inChannels(), spec.width(), 3, 1);
        units[0] = new Unit(Unit.Kind.STEM, -1, spec, s, layout, blocks);
        Unit.Kind kind = spec.blocks() ? Unit.Kind.BLOCK : Unit.Kind.PLAIN;
        for (int u = 0; u < n; u++) {
            int stage = spec.stageOf(u), h = s.outH(), w = s.outW(), c = s.out();
            int stride = u > 0 && spec.stageOf(u - 1) != stage ? 2 : 1;
            s = new ConvShape(batch, h, w, c, spec.channels(stage), 3, stride);
            units[u + 1] = new Unit(kind, u, spec, s, layout, blocks);
        }
        pixels = s.outH() * s.outW();
        channels = s.out();
        boolean fin = spec.pre() && spec.norm() != Norm.NONE && spec.skip() != Skip.FIXUP;
        String nk = spec.norm() == Norm.BATCH ? "final.bn" : spec.norm() == Norm.GROUP ? "final.gn" : "final.ln";
        int fg = fin ? layout.add(n, nk, "gamma", 1, channels) : -1;
        if (fin) layout.add(n, nk, "beta", 1, channels);
        int hw = layout.add(n, "head", "W", channels, spec.classes()),
                hb = layout.add(n, "head", "b", 1, spec.classes());
        DataType dt = NetworkFactory.dataType(spec.dtype());
        layout.allocate(dt);
        for (Unit unit : units) unit.bind(layout, dt, memory);
        long rows = (long) batch * pixels;
        finalNorm = fin
                ? new ChannelNorm(
                        new INDArray[] {layout.param(fg), layout.param(fg + 1)},
                        new INDArray[] {layout.grad(fg), layout.grad(fg + 1)},
                        batch,
                        pixels,
                        channels,
                        spec.normGroups(),
                        dt,
                        memory)
                : null;
        finalAct =
                spec.pre() && spec.skip() != Skip.FIXUP ? new Act(spec.activation(), rows, channels, dt, memory) : null;
        headW = layout.param(hw);
        headB = layout.param(hb);
        dHeadW = layout.grad(hw);
        dHeadB = layout.grad(hb);
        x0 = Nd4j.create(dt, (long) batch * spec.inHeight() * spec.inWidth(), spec.inChannels());
        pooled = Nd4j.create(dt, batch, channels);
        dPooled = Nd4j.create(dt, batch, channels);
        logits = Nd4j.create(dt, batch, spec.classes());
        logp = Nd4j.create(dt, batch, spec.classes());
        yw = Nd4j.create(dt, batch, spec.classes());
        dz = Nd4j.create(dt, batch, spec.classes());
        dLast = Nd4j.create(dt, rows, channels);
        lossArr = Nd4j.scalar(dt, 0.0);
        init(fg);
    }

    /**
     * The run's init for every conv kernel (fan-in k·k·C_in, fan-out k·k·C_out) and the head (C, classes), seeded by
     * the spec's seed, in layout order; Fixup's first branch convs He's init × L^−½, its last convs and head at zero;
     * norm gains and Fixup's multipliers 1; biases, β and ReZero's α 0.
     */
    private void init(int finalGain) {
        Nd4j.getRandom().setSeed(spec.seed());
        IWeightInit run = NetworkFactory.weightInit(spec.init()), he = NetworkFactory.weightInit(Init.parse("he"));
        for (Unit u : units) {
            for (Unit.Weight w : u.weights)
                if (w.gain() != 0) {
                    INDArray v = layout.param(w.index());
                    initView(w.he() ? he : run, w.fanIn(), w.fanOut(), v);
                    if (w.gain() != 1) v.muli(w.gain());
                }
            for (int g : u.ones) layout.param(g).assign(1);
        }
        if (finalGain >= 0) layout.param(finalGain).assign(1);
        if (spec.skip() != Skip.FIXUP) initView(run, channels, spec.classes(), headW);
    }

    private static void initView(IWeightInit w, long fanIn, long fanOut, INDArray view) {
        INDArray v = w.init(fanIn, fanOut, view.shape(), 'c', view);
        if (v != view) view.assign(v);
    }

    /** The flat parameter buffer [1, n] (writable: tests set parameters through it). */
    public INDArray params() {
        return layout.params();
    }

    /** The flat gradient buffer, same layout; after {@link #computeGradient} the mean-loss gradient. */
    public INDArray gradient() {
        return layout.gradient();
    }

    public Segment[] segments() {
        return layout.segments();
    }

    /**
     * Sets the minibatch: features [B, C·H·W], each row an image [C, H, W] row-major (the tasks' and table's order),
     * and one-hot labels [B, classes]. ND4J ops only: the image rows become the NHWC input.
     */
    public void setBatch(INDArray features, INDArray labels) {
        int hw = spec.inHeight() * spec.inWidth(), c = spec.inChannels();
        x0.reshape('c', batch, hw, c).assign(features.reshape('c', batch, c, hw).permute(0, 2, 1));
        yw.assign(labels).divi(batch);
    }

    /** Forward and backward on the current batch; returns the mean loss. */
    public double computeGradient() {
        forward();
        backward();
        memory.sync();
        return lossHost[0];
    }

    /** Forward only: the mean loss on the current batch. */
    public double loss() {
        forward();
        memory.sync();
        return lossHost[0];
    }

    private void forward() {
        INDArray x = x0;
        for (Unit u : units) x = u.forward(x);
        if (finalNorm != null) x = finalNorm.forward(x);
        if (finalAct != null) x = finalAct.forward(x);
        ConvLayer.columnSums(memory, x, batch, pooled); // global average pooling: per-image sums over the pixels
        pooled.divi(pixels);
        memory.matmul(pooled, headW, logits, false, false);
        memory.addRows(logits.reshape('c', 1, batch, spec.classes()), headB); // in place: addiRowVector allocates
        LogSoftmax.rows(logits, logp, dz); // dz is free until the backward
        Nd4j.exec(new Dot(logp, yw, lossArr)).negi(); // L = −Σ (y / B) ⊙ log p
        memory.read(lossArr, lossHost);
    }

    private void backward() {
        Transforms.exp(dz.assign(logp), false).divi(batch).subi(yw); // (p − y) / B
        memory.matmul(pooled, dz, dHeadW, true, false);
        ConvLayer.columnSums(memory, dz, 1, dHeadB);
        memory.matmul(dz, headW, dPooled, false, true);
        INDArray d3 = dLast.reshape('c', batch, pixels, channels).assign(0);
        Nd4j.exec(new BroadcastAddOp(d3, dPooled, d3, 0, 2));
        INDArray d = dLast.divi(pixels);
        if (finalAct != null) d = finalAct.backward(d);
        if (finalNorm != null) d = finalNorm.backward(d);
        for (int i = units.length - 1; i >= 0; i--) d = units[i].backward(d);
        dInput = d;
    }

    /** Makes every later backward compute ∂L/∂x of the input rows (Balduzzi et al. 2017's shattered gradients). */
    void keepInputGradient() {
        units[0].inputGradient(layout, layout.params().dataType(), memory);
    }

    /** ∂L/∂x [B·H·W, C] (NHWC rows) after the last backward, once {@link #keepInputGradient} was called; else null. */
    INDArray inputGradient() {
        return dInput;
    }

    /** Rows of the layers table: the stem, the depth units, the head. */
    public int layerCount() {
        return units.length + 1;
    }

    /** The layer index of row i: −1 (stem), 0 … depth − 1, depth (head). */
    public int layer(int i) {
        return i - 1;
    }

    public String layerName(int i) {
        return i < units.length ? units[i].name : "head";
    }

    /** stem, dense (plain units), block, output (the head). */
    public String kind(int i) {
        if (i == units.length) return "output";
        return i == 0 ? "stem" : units[i].kind == Unit.Kind.BLOCK ? "block" : "dense";
    }

    /** The function that produced {@link #activations(int)} (null: none). */
    public Activation fn(int i) {
        return i < units.length ? units[i].activationFn() : null;
    }

    /** Row i's output after the last forward: the unit's (plain: its activation's), the head's logits. */
    public INDArray activations(int i) {
        return i < units.length ? units[i].activations() : logits;
    }

    /** Row i's response (He et al. Fig. 7), or null (the head). */
    public INDArray response(int i) {
        return i < units.length ? units[i].response() : null;
    }

    /** The array whose L2 norm is row i's δ after the last backward (docs/conv.md). */
    public INDArray delta(int i) {
        return i < units.length ? units[i].delta() : dHeadB;
    }

    /** For finite differences: added to row i's response (stem, plain) or output (block) in every forward. */
    void probe(int i, INDArray delta) {
        units[i].probe = delta;
    }
}
