package dev.gradsweep.transformer;

import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Positions;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.model.LogSoftmax;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A transformer ({@link TransformerSpec}) for a fixed batch size, forward and backward written out with ND4J ops
 * (docs/transformer.md): token embedding + positions → blocks of attention and feed-forward sublayers, each wrapped
 * by a {@link Wrapper} → final norm (pre placement) → head to vocabulary logits → softmax cross-entropy averaged over
 * the positions that have a target. Gradients are of that mean loss. The stream is [B·T, d], row b·T + t.
 *
 * <p>Statistics (with {@code computeGradient(true)}): per tap (the embedding output, layer −1, and the stream after
 * each sublayer, layer = block) the stream's RMS and δ = ‖∂L/∂x‖; per block × head the attention entropy (mean and
 * minimum over queries), the largest logit, and per block the mean pairwise cosine similarity of the block output's
 * token vectors. All host reads go through {@link TrainingMemory}, one transfer per step.
 */
public final class TransformerNet {
    /** One tap of the residual stream: its RMS over the [B·T, d] array and ‖∂L/∂x‖ there. */
    public record Tap(int layer, String name, double rms, double deltaL2) {}

    /** One block × head: attention entropy (mean and minimum over queries, averaged over sequences), largest logit, and the block's token cosine similarity. */
    public record HeadStats(
            int layer, int head, double entropyMean, double entropyMin, double maxLogit, double tokenCosine) {}

    private final TransformerSpec spec;
    private final int batch, rows, d, vocab;
    private final TrainingMemory memory;
    private final ParamLayout layout = new ParamLayout();
    private final INDArray oneHot, emb, dEmb, sinus, x0, headW, headB, dHeadW, dHeadB, logits, logp, dz, yw, wRow, dxf;
    private final INDArray lossArr;
    private final BlockStats blockStats;
    private final Wrapper[] subs;
    private final Attention[] attentions;
    private final RowNorm finalNorm;
    private final int[] identity;
    private final double[] lossHost = new double[1], tapSq;
    /** setBatch's host images of the one-hot rows, the weighted targets and the row weights (≈ 400 KB, kept). */
    private final double[][] batchHost;

    private INDArray probe0, dx0, xfLast;
    private boolean collected, streamSq;

    public TransformerNet(TransformerSpec spec, int batch, TrainingMemory memory) {
        this.spec = spec;
        this.batch = batch;
        this.memory = memory;
        int t = spec.context(), n = spec.depth();
        this.rows = batch * t;
        this.d = spec.width();
        this.vocab = spec.vocab();
        boolean learned = spec.positions() == Positions.LEARNED;
        long f = (long) spec.ffn() * d;
        // the layout: embeddings (token rows, then learned position rows: one matrix for one matmul), blocks, head
        int tok = layout.add(-1, "embed.tok", "W", vocab, d);
        if (learned) layout.add(-1, "embed.pos", "W", t, d);
        int[][] norms = new int[2 * n + 1][], qkv = new int[n][], ffn = new int[n][];
        int[] alpha = new int[2 * n];
        for (int l = 0; l < n; l++) {
            String p = "block" + l + ".";
            norms[2 * l] = norm(l, p + "attn." + spec.normName());
            qkv[l] = new int[] {
                layout.add(l, p + "attn.q", "W", d, d),
                layout.add(l, p + "attn.k", "W", d, d),
                layout.add(l, p + "attn.v", "W", d, d),
                layout.add(l, p + "attn.o", "W", d, d)
            };
            alpha[2 * l] = spec.skip() == Skip.REZERO ? layout.add(l, p + "attn.rezero", "alpha", 1, 1) : -1;
            norms[2 * l + 1] = norm(l, p + "ffn." + spec.normName());
            ffn[l] = new int[] {
                layout.add(l, p + "ffn.fc1", "W", f, d),
                layout.add(l, p + "ffn.fc1", "b", 1, f),
                layout.add(l, p + "ffn.fc2", "W", d, f),
                layout.add(l, p + "ffn.fc2", "b", 1, d)
            };
            alpha[2 * l + 1] = spec.skip() == Skip.REZERO ? layout.add(l, p + "ffn.rezero", "alpha", 1, 1) : -1;
        }
        norms[2 * n] = spec.finalNorm() ? norm(n, "final." + spec.normName()) : null;
        int hw = layout.add(n, "head", "W", vocab, d), hb = layout.add(n, "head", "b", 1, vocab);
        DataType dt = NetworkFactory.dataType(spec.dtype());
        layout.allocate(dt);

        int embRows = vocab + (learned ? t : 0);
        emb = layout.params(tok, embRows, d);
        dEmb = layout.grads(tok, embRows, d);
        subs = new Wrapper[2 * n];
        attentions = new Attention[n];
        boolean pre = spec.placement() == Placement.PRE;
        for (int l = 0; l < n; l++) {
            Attention att = attentions[l] = new Attention(
                    layout.params(qkv[l][0], 3L * d, d),
                    layout.param(qkv[l][3]),
                    layout.grads(qkv[l][0], 3L * d, d),
                    layout.grad(qkv[l][3]),
                    batch,
                    t,
                    spec.heads(),
                    spec.causal(),
                    memory);
            Ffn ff = new Ffn(params(ffn[l]), grads(ffn[l]), spec.activation(), dt, rows, memory);
            subs[2 * l] = wrap(att, norms[2 * l], alpha[2 * l], pre, dt);
            subs[2 * l + 1] = wrap(ff, norms[2 * l + 1], alpha[2 * l + 1], pre, dt);
        }
        finalNorm = rowNorm(norms[2 * n], dt);
        headW = layout.param(hw);
        headB = layout.param(hb);
        dHeadW = layout.grad(hw);
        dHeadB = Sublayer.row3(layout.grad(hb));

        oneHot = Nd4j.create(dt, rows, embRows);
        batchHost = new double[][] {new double[rows * embRows], new double[rows * vocab], new double[rows]};
        x0 = Nd4j.create(dt, rows, d);
        logits = Nd4j.create(dt, rows, vocab);
        logp = Nd4j.create(dt, rows, vocab);
        dz = Nd4j.create(dt, rows, vocab);
        yw = Nd4j.create(dt, rows, vocab);
        wRow = Nd4j.create(dt, rows, 1);
        dxf = Nd4j.create(dt, rows, d);
        lossArr = Nd4j.scalar(dt, 0.0);
        blockStats = new BlockStats(n, batch, t, spec.heads(), d, memory);
        tapSq = new double[2 * (2 * n + 1)];
        identity = new int[rows];
        for (int i = 0; i < rows; i++) identity[i] = i;
        if (learned) sinus = null;
        else {
            sinus = Nd4j.create(dt, rows, d);
            memory.writeRows(sinus, TransformerInit.sinusoidal(rows, t, d), identity, 0, rows, d);
        }
        TransformerInit.weights(spec, layout, tok, qkv, ffn, hw, norms);
    }

    private int[] norm(int layer, String name) {
        if (spec.norm() == Norm.NONE) return null;
        int g = layout.add(layer, name, "gamma", 1, d);
        return spec.norm() == Norm.LAYER ? new int[] {g, layout.add(layer, name, "beta", 1, d)} : new int[] {g};
    }

    private RowNorm rowNorm(int[] idx, DataType dt) {
        if (idx == null) return null;
        boolean beta = idx.length > 1;
        return new RowNorm(
                layout.param(idx[0]),
                beta ? layout.param(idx[1]) : null,
                layout.grad(idx[0]),
                beta ? layout.grad(idx[1]) : null,
                dt,
                rows,
                memory);
    }

    private Wrapper wrap(Sublayer f, int[] norm, int alpha, boolean pre, DataType dt) {
        return new Wrapper(
                f,
                rowNorm(norm, dt),
                pre,
                spec.streamGain(),
                alpha < 0 ? null : layout.param(alpha),
                alpha < 0 ? null : layout.grad(alpha),
                dt,
                rows,
                d,
                memory);
    }

    private INDArray[] params(int[] idx) {
        INDArray[] v = new INDArray[idx.length];
        for (int i = 0; i < idx.length; i++) v[i] = layout.param(idx[i]);
        return v;
    }

    private INDArray[] grads(int[] idx) {
        INDArray[] v = new INDArray[idx.length];
        for (int i = 0; i < idx.length; i++) v[i] = layout.grad(idx[i]);
        return v;
    }

    public TransformerSpec spec() {
        return spec;
    }

    public int batch() {
        return batch;
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
     * Sets the minibatch: tokens[b·T + t] in [0, vocab), targets[b·T + t] the token to predict there or −1 for no
     * target (the loss is the mean over the positions with one).
     */
    public void setBatch(int[] tokens, int[] targets) {
        int cols = (int) oneHot.size(1), t = spec.context(), m = 0;
        double[] oh = batchHost[0], y = batchHost[1], w = batchHost[2];
        java.util.Arrays.fill(oh, 0);
        java.util.Arrays.fill(y, 0);
        java.util.Arrays.fill(w, 0);
        for (int r = 0; r < rows; r++) {
            if (tokens[r] < 0 || tokens[r] >= vocab || targets[r] >= vocab)
                throw new IllegalArgumentException("token out of [0, " + vocab + ") at " + r);
            oh[r * cols + tokens[r]] = 1;
            if (cols > vocab) oh[r * cols + vocab + r % t] = 1;
            if (targets[r] >= 0) m++;
        }
        if (m == 0) throw new IllegalArgumentException("a batch without targets");
        for (int r = 0; r < rows; r++) {
            if (targets[r] < 0) continue;
            y[r * vocab + targets[r]] = 1.0 / m;
            w[r] = 1.0 / m;
        }
        memory.writeRows(oneHot, oh, identity, 0, rows, cols);
        memory.writeRows(yw, y, identity, 0, rows, vocab);
        memory.writeRows(wRow, w, identity, 0, rows, 1);
    }

    /** Forward and backward on the current batch; returns the mean loss. With stats, {@link #taps()} and {@link #attention()}. */
    public double computeGradient(boolean withStats) {
        forward(withStats);
        backward();
        if (withStats) {
            memory.sumSq(dx0, tapSq, 1);
            for (int i = 0; i < subs.length; i++) memory.sumSq(subs[i].streamGradient(), tapSq, 2 * i + 3);
        }
        memory.sync();
        collected = withStats;
        streamSq = false;
        return lossHost[0];
    }

    /** Forward only: the mean loss on the current batch. */
    public double loss() {
        forward(false);
        memory.sync();
        return lossHost[0];
    }

    private void forward(boolean collect) {
        memory.matmul(oneHot, emb, x0, false, false);
        if (sinus != null) x0.addi(sinus);
        if (probe0 != null) x0.addi(probe0);
        INDArray x = x0;
        for (int l = 0; l < attentions.length; l++) blockStats.arm(l, attentions[l], collect);
        for (int i = 0; i < subs.length; i++) {
            x = subs[i].forward(x);
            if (collect && i % 2 == 1) blockStats.collect(i / 2, x);
        }
        INDArray xf = finalNorm != null ? finalNorm.forward(x) : x;
        memory.matmul(xf, headW, logits, false, true);
        memory.addRows(logits.reshape('c', 1, rows, vocab), headB);
        LogSoftmax.rows(logits, logp, dz); // dz is free until the backward
        Nd4j.exec(new Dot(logp, yw, lossArr)).negi(); // L = −Σ y_w ⊙ log p
        memory.read(lossArr, lossHost);
        xfLast = xf;
    }

    private void backward() {
        // softmax cross-entropy of the weighted mean: ∂L/∂z = p · w_row − y · w_row
        Transforms.exp(dz.assign(logp), false).muliColumnVector(wRow).subi(yw);
        memory.matmul(dz, xfLast, dHeadW, true, false);
        memory.sumOverBatch(dz.reshape('c', 1, rows, vocab), dHeadB);
        memory.matmul(dz, headW, dxf, false, false);
        INDArray dx = finalNorm != null ? finalNorm.backward(dxf, null) : dxf;
        for (int i = subs.length - 1; i >= 0; i--) dx = subs[i].backward(dx);
        dx0 = dx;
        memory.matmul(oneHot, dx0, dEmb, true, false);
    }

    /**
     * Taps of the last computeGradient(true): the embedding output (layer −1), then each sublayer's stream; the RMS
     * reduced at the first call (a sweep's step takes it from its ActStats and only {@link #tapDelta} from here).
     */
    public List<Tap> taps() {
        requireStats();
        if (!streamSq) {
            for (int i = 0; i < tapCount(); i++) memory.sumSq(streamArray(i), tapSq, 2 * i);
            memory.sync();
            streamSq = true;
        }
        List<Tap> out = new ArrayList<>();
        double n = (double) rows * d;
        for (int i = 0; i <= subs.length; i++) {
            int layer = i == 0 ? -1 : (i - 1) / 2;
            String name = i == 0 ? "embed" : "block" + layer + (i % 2 == 1 ? ".attn" : ".ffn");
            out.add(new Tap(layer, name, Math.sqrt(tapSq[2 * i] / n), Math.sqrt(tapSq[2 * i + 1])));
        }
        return out;
    }

    /** Per block × head, of the last computeGradient(true). */
    public List<HeadStats> attention() {
        requireStats();
        return blockStats.heads();
    }

    /** ‖∂L/∂x‖ at a tap, of the last computeGradient(true). */
    public double tapDelta(int tap) {
        requireStats();
        return Math.sqrt(tapSq[2 * tap + 1]);
    }

    private void requireStats() {
        if (!collected) throw new IllegalStateException("no statistics: call computeGradient(true) first");
    }

    /** Number of taps: 1 + 2·depth (tap 0 the embedding output, tap 2l+1 / 2l+2 after block l's attention / FFN). */
    public int tapCount() {
        return subs.length + 1;
    }

    /** The stream at a tap after the last forward, row-major [B·T, d]. */
    public double[] stream(int tap) {
        return read(tap == 0 ? x0 : subs[tap - 1].stream());
    }

    /** The stream at a tap itself, as of the last forward (the trainer's statistics read it in place). */
    INDArray streamArray(int tap) {
        return tap == 0 ? x0 : subs[tap - 1].stream();
    }

    /** ∂L/∂(stream) at a tap after the last backward. */
    public double[] streamGradient(int tap) {
        return read(tap == 0 ? dx0 : subs[tap - 1].streamGradient());
    }

    private double[] read(INDArray a) {
        double[] v = new double[(int) a.length()];
        memory.read(a, v);
        memory.sync();
        return v;
    }

    /** For finite differences: the next forwards add delta [B·T, d] to the stream at a tap (null: stop). */
    void probe(int tap, INDArray delta) {
        if (tap == 0) probe0 = delta;
        else subs[tap - 1].probe(delta);
    }
}
