package dev.gradsweep.transformer.task;

/**
 * A token task of a transformer run (docs/grid.md#tasks): sequences of seqLen token ids over a vocabulary shared by
 * inputs and targets, every sample a pure function of the run's seed and the sample's index, so training draws fresh
 * samples every step (step s fills samples s·batch …) without storing a data set. Built by {@link TokenTasks#of}.
 */
public abstract class TokenTask {
    private final String name;
    private final int vocab, seqLen;
    private final boolean causal;
    /** The samples' seed: sample i is drawn by SequenceTask.rng(seed, i). */
    final long seed;

    TokenTask(String name, int vocab, int seqLen, boolean causal, long seed) {
        this.name = name;
        this.vocab = vocab;
        this.seqLen = seqLen;
        this.causal = causal;
        this.seed = seed;
    }

    /** reverse, sort, modadd or text. */
    public final String name() {
        return name;
    }

    /** Token ids are 0 … vocab − 1, in the inputs and the targets: the embedding's rows and the head's classes. */
    public final int vocab() {
        return vocab;
    }

    /** The context length T: every sequence has exactly this many positions. */
    public final int seqLen() {
        return seqLen;
    }

    /** True when position t may attend only to positions ≤ t (text); false: bidirectional attention. */
    public final boolean causal() {
        return causal;
    }

    /** Writes training samples [first, first + out.batch) into {@code out}; out.seqLen must be {@link #seqLen}. */
    public final void fill(long first, TokenBatch out) {
        if (out.seqLen != seqLen)
            throw new IllegalArgumentException(name + " has seq_len " + seqLen + ", the batch " + out.seqLen);
        fillChecked(first, out);
    }

    abstract void fillChecked(long first, TokenBatch out);

    /**
     * The mean cross-entropy of the best constant predictor over the masked positions of the training distribution:
     * one distribution q over the vocabulary for every position and input, which is best at q = the pooled frequency
     * of the masked targets, with loss H(q) = −Σ q ln q (nats; derived for each task in its class comment).
     */
    public abstract double baseline();

    /** Sequences never trained on, each once, whose loss is recorded as steps.heldout_loss; null: the task has none. */
    public TokenBatch heldOut() {
        return null;
    }

    /** The held-out loss is evaluated at every step that is a multiple of this, and at the last; 0: never. */
    public int evalEvery() {
        return 0;
    }

    /** −Σ q ln q of the frequencies proportional to {@code weight} (nats). */
    static double entropy(double[] weight) {
        double total = 0, h = 0;
        for (double w : weight) total += w;
        for (double w : weight) if (w > 0) h -= w / total * Math.log(w / total);
        return h;
    }
}
