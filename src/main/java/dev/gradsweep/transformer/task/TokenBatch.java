package dev.gradsweep.transformer.task;

/**
 * A minibatch of token sequences, row-major [batch × seqLen]: {@code tokens} are the inputs (ids 0 … vocab − 1),
 * {@code targets} the ids to predict at each position and {@code mask} the positions that carry a loss (a target where
 * the mask is false is 0 and means nothing). The loss of a batch is the mean cross-entropy over its masked positions.
 * Allocated once per run and refilled every step.
 */
public final class TokenBatch {
    public final int batch, seqLen;
    public final int[] tokens, targets;
    public final boolean[] mask;

    public TokenBatch(int batch, int seqLen) {
        if (batch < 1 || seqLen < 1) throw new IllegalArgumentException("batch and seqLen must be >= 1");
        this.batch = batch;
        this.seqLen = seqLen;
        this.tokens = new int[batch * seqLen];
        this.targets = new int[batch * seqLen];
        this.mask = new boolean[batch * seqLen];
    }

    /** Index of sequence b, position t. */
    public int at(int b, int t) {
        return b * seqLen + t;
    }

    /** Positions with a loss: the mean loss divides by this. */
    public int lossPositions() {
        int n = 0;
        for (boolean m : mask) if (m) n++;
        return n;
    }
}
