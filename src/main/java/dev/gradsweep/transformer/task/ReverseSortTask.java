package dev.gradsweep.transformer.task;

import dev.gradsweep.recurrent.SequenceTask;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * reverse and sort: the input is T tokens drawn uniformly and independently from 0 … V − 1, and position t's target is
 * the t-th token of the output, x[T − 1 − t] (reverse) or the t-th smallest token (sort, ascending). Input and output
 * are aligned, one target per position, every position carries a loss; attention is bidirectional (position t needs
 * tokens anywhere in the sequence), so no separator and no output tokens in the input are needed (with them the
 * targets would be visible). Seq-to-seq over a small vocabulary with T = seq_len.
 * <p>
 * Baseline: the targets of a sequence are a permutation of its inputs, so the pooled masked targets have the
 * inputs' distribution, uniform over V; the best constant predictor is uniform and its cross-entropy is ln V.
 */
public final class ReverseSortTask extends TokenTask {
    private final boolean sort;

    public ReverseSortTask(boolean sort, int vocab, int seqLen, long seed) {
        super(sort ? "sort" : "reverse", vocab, seqLen, false, seed);
        if (vocab < 2 || seqLen < 1) throw new IllegalArgumentException("needs vocab >= 2 and seq_len >= 1");
        this.sort = sort;
    }

    @Override
    void fillChecked(long first, TokenBatch out) {
        int vocab = vocab(), seqLen = seqLen();
        Arrays.fill(out.mask, true);
        for (int b = 0; b < out.batch; b++) {
            SplittableRandom r = SequenceTask.rng(seed, first + b);
            int o = out.at(b, 0);
            for (int t = 0; t < seqLen; t++) out.tokens[o + t] = r.nextInt(vocab);
            for (int t = 0; t < seqLen; t++) out.targets[o + t] = out.tokens[o + seqLen - 1 - t];
            if (sort) Arrays.sort(out.targets, o, o + seqLen);
        }
    }

    @Override
    public double baseline() {
        return Math.log(vocab());
    }
}
