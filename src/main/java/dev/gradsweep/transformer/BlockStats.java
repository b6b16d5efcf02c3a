package dev.gradsweep.transformer;

import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.transformer.TransformerNet.HeadStats;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.Norm2;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The per block × head statistics: on the device only reductions to one number per (sequence, head, query) or per
 * (sequence, width) — see {@link Attention#statistics()} — brought to the host with the step's one transfer, and the
 * rest (logs, means, minima) in Java. Entropy per query H = m − ln max_j A_j − Σ_j A_j S_j, m = max_j S_j: ln A_j =
 * S_j − ln Z for every unmasked key, so ln Z = m − ln max_j A_j, and H = ln Z − Σ_j A_j S_j (masked keys have
 * A_j = 0 exactly and add nothing). Token cosine of a block output y: (‖Σ_i y_i/‖y_i‖‖² − T)/(T(T − 1)) per sequence,
 * the mean of cos(y_i, y_j) over the pairs i ≠ j, then the mean over sequences (undefined, NaN, for T = 1).
 */
final class BlockStats {
    private final int batch, seq, heads;
    private final TrainingMemory memory;
    private final INDArray norms, sums;
    private final double[][] logitMax, probMax, dot, tokenSums;

    BlockStats(int depth, int batch, int seq, int heads, long width, DataType dt, TrainingMemory memory) {
        this.batch = batch;
        this.seq = seq;
        this.heads = heads;
        this.memory = memory;
        norms = Nd4j.create(dt, (long) batch * seq);
        sums = Nd4j.create(dt, depth, batch, 1, width);
        int n = batch * heads * seq;
        logitMax = new double[depth][n];
        probMax = new double[depth][n];
        dot = new double[depth][n];
        tokenSums = new double[depth][(int) (batch * width)];
    }

    /** Queues block l's reductions: its attention's (from the forward just run) and the token sums of its output y. */
    void collect(int l, Attention att, INDArray y) {
        INDArray[] a = att.statistics();
        memory.read(a[0], logitMax[l]);
        memory.read(a[1], probMax[l]);
        memory.read(a[2], dot[l]);
        Nd4j.exec(new Norm2(y, norms, 1));
        norms.rdivi(1.0);
        INDArray out = sums.get(org.nd4j.linalg.indexing.NDArrayIndex.point(l));
        memory.matmul(norms.reshape('c', batch, 1, seq), y.reshape('c', batch, seq, y.size(1)), out, false, false);
        memory.read(out, tokenSums[l]);
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
                        double h = logitMax[l][i] - Math.log(probMax[l][i]) - dot[l][i];
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
