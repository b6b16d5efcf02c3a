package dev.gradsweep.transformer.task;

/**
 * A token task of a transformer run (docs/grid.md#tasks): sequences of seqLen token ids over a vocabulary shared by
 * inputs and targets, every sample a pure function of the run's seed and the sample's index, so training draws fresh
 * samples every step (step s fills samples s·batch …) without storing a data set. Built by {@link TokenTasks#of}.
 */
public interface TokenTask {
    /** reverse, sort, modadd or text. */
    String name();

    /** Token ids are 0 … vocab − 1, in the inputs and the targets: the embedding's rows and the head's classes. */
    int vocab();

    /** The context length T: every sequence has exactly this many positions. */
    int seqLen();

    /** True when position t may attend only to positions ≤ t (text); false: bidirectional attention. */
    boolean causal();

    /** Writes training samples [first, first + out.batch) into {@code out}; out.seqLen must be {@link #seqLen}. */
    void fill(long first, TokenBatch out);

    /**
     * The mean cross-entropy of the best constant predictor over the masked positions of the training distribution:
     * one distribution q over the vocabulary for every position and input, which is best at q = the pooled frequency
     * of the masked targets, with loss H(q) = −Σ q ln q (nats; derived for each task in its class comment).
     */
    double baseline();
}
