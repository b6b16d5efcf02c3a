package dev.gradsweep.transformer;

import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.transformer.TransformerNet.HeadStats;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The per block × head statistics: on the device only reductions to one number per (sequence, head, query) —
 * the largest logit and the entropy, from the softmax's pass ({@link TrainingMemory#attentionSoftmax}) — or per
 * (sequence, width), brought to the host with the step's one transfer, and the rest (means, minima) in Java. Token
 * cosine of a block output y: (‖Σ_i y_i/‖y_i‖‖² − T)/(T(T − 1)) per sequence,
 * the mean of cos(y_i, y_j) over the pairs i ≠ j, then the mean over sequences (undefined, NaN, for T = 1).
 */
final class BlockStats {
    private final int batch, seq, heads;
    private final TrainingMemory memory;
    private final double[][] logitMax, entropy, tokenSums;

    BlockStats(int depth, int batch, int seq, int heads, long width, TrainingMemory memory) {
        this.batch = batch;
        this.seq = seq;
        this.heads = heads;
        this.memory = memory;
        int n = batch * heads * seq;
        logitMax = new double[depth][n];
        entropy = new double[depth][n];
        tokenSums = new double[depth][(int) (batch * width)];
    }

    /** Arms (or, with on false, disarms) block l's attention to reduce its next forward's weights into block l's rows. */
    void arm(int l, Attention att, boolean on) {
        att.collect(on ? logitMax[l] : null, on ? entropy[l] : null);
    }

    /** Queues the token sums of block l's output y. */
    void collect(int l, INDArray y) {
        memory.unitRowSums(y, batch, tokenSums[l]);
    }

    /** After the sync: one row per block × head. */
    List<HeadStats> heads() {
        List<HeadStats> out = new ArrayList<>();
        for (int l = 0; l < logitMax.length; l++) {
            double cos = tokenCosine(tokenSums[l]);
            for (int j = 0; j < heads; j++) {
                double mean = 0, min = 0, max = Double.NEGATIVE_INFINITY;
                for (int b = 0; b < batch; b++) {
                    double sum = 0, lo = Double.POSITIVE_INFINITY;
                    for (int t = 0, i = (b * heads + j) * seq; t < seq; t++, i++) {
                        double h = entropy[l][i];
                        sum += h;
                        lo = Math.min(lo, h);
                        max = Math.max(max, logitMax[l][i]);
                    }
                    mean += sum / seq;
                    min += lo;
                }
                out.add(new HeadStats(l, j, mean / batch, min / batch, max, cos));
            }
        }
        return out;
    }

    private double tokenCosine(double[] s) {
        int w = s.length / batch;
        double sum = 0;
        for (int b = 0; b < batch; b++) {
            double sq = 0;
            for (int k = b * w; k < (b + 1) * w; k++) sq += s[k] * s[k];
            sum += (sq - seq) / ((double) seq * (seq - 1));
        }
        return sum / batch;
    }
}
