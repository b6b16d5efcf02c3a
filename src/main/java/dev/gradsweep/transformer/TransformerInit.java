package dev.gradsweep.transformer;

import dev.gradsweep.grid.Positions;
import dev.gradsweep.model.NetworkFactory;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A {@link TransformerNet}'s initial parameters and its fixed sinusoidal positions. */
final class TransformerInit {
    private TransformerInit() {}

    /** Vaswani et al.'s P[t, 2i] = sin(t/10000^{2i/d}), P[t, 2i+1] = cos(same), tiled over the batch: [rows·d], row r at t = r mod T. */
    static double[] sinusoidal(int rows, int t, int d) {
        double[] p = new double[rows * d];
        for (int r = 0; r < rows; r++) {
            int pos = r % t;
            for (int i = 0; i < d; i += 2) {
                double angle = pos / Math.pow(10000, (double) i / d);
                p[r * d + i] = Math.sin(angle);
                p[r * d + i + 1] = Math.cos(angle);
            }
        }
        return p;
    }

    /**
     * The run's initializer per weight array (DL4J's, seeded by the spec's seed, in layout order), with fan-in and
     * fan-out: token embedding (vocab, d) and learned positions (T, d), as DL4J's EmbeddingLayer treats its one-hot
     * input; Q, K, V, O each (d, d); fc1 (d, ffn·d); fc2 (ffn·d, d); head (d, vocab). DeepNorm then scales V, O, fc1
     * and fc2 by β. Norm gains 1; biases and ReZero's α stay 0 (the buffer starts at 0).
     *
     * @param tok the token embedding's index in the layout (learned positions follow it), qkv[l] = {q, k, v, o},
     *     ffn[l] = {fc1 W, fc1 b, fc2 W, fc2 b}, hw the head's W, norms the gains' (first) indices or null
     */
    static void weights(
            TransformerSpec spec, ParamLayout layout, int tok, int[][] qkv, int[][] ffn, int hw, int[][] norms) {
        Nd4j.getRandom().setSeed(spec.seed());
        IWeightInit w = NetworkFactory.weightInit(spec.init());
        long d = spec.width(), f = (long) spec.ffn() * d, vocab = spec.vocab();
        init(w, vocab, d, layout.param(tok));
        if (spec.positions() == Positions.LEARNED) init(w, spec.context(), d, layout.param(tok + 1));
        double beta = spec.initGain();
        for (int l = 0; l < spec.depth(); l++) {
            for (int k = 0; k < 4; k++) init(w, d, d, layout.param(qkv[l][k]));
            init(w, d, f, layout.param(ffn[l][0]));
            init(w, f, d, layout.param(ffn[l][2]));
            if (beta != 1)
                for (int idx : new int[] {qkv[l][2], qkv[l][3], ffn[l][0], ffn[l][2]})
                    layout.param(idx).muli(beta);
        }
        init(w, d, vocab, layout.param(hw));
        for (int[] nm : norms) if (nm != null) layout.param(nm[0]).assign(1);
    }

    private static void init(IWeightInit w, long fanIn, long fanOut, INDArray view) {
        INDArray v = w.init(fanIn, fanOut, view.shape(), 'c', view);
        if (v != view) view.assign(v);
    }
}
