package dev.gradsweep.transformer.task;

import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.recurrent.SequenceTask;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * modadd, the grokking task of Power et al. 2022: (a + b) mod p. A sequence is the 4 tokens [a, +, b, =] with a, b
 * in 0 … p − 1, + = p and = = p + 1 (vocabulary p + 2); its one loss position is the last, whose target is
 * (a + b) mod p. The p² pairs are split once by the seed: a shuffled order, the first round(f·p²) (at least 1) are
 * trained on, each training sample a uniform draw from them; the rest are held out. The held-out loss is the mean
 * cross-entropy of the model's forward pass on {@link #heldOut()} (every held-out pair once), evaluated every
 * {@code task.eval_every} steps without an update: the generalisation curve whose late drop is grokking.
 * <p>
 * Baseline: training draws pairs uniformly from the train part S, so the target c has frequency q_c = |{(a, b) ∈ S :
 * (a + b) mod p = c}| / |S|, and the best constant predictor's cross-entropy is H(q) = −Σ q_c ln q_c, computed exactly
 * from the split. With f = 1 every residue has p pairs and H = ln p; a smaller split is slightly uneven, H < ln p.
 */
public final class ModAddTask extends TokenTask {
    public static final int SEQ_LEN = TaskSpec.MODADD_SEQ_LEN;
    private final int p, evalEvery;
    /** Pair indices a·p + b: the train part, then the held-out part. */
    private final int[] train, held;

    public ModAddTask(int p, double trainFraction, long seed) {
        this(p, trainFraction, 0, seed);
    }

    public ModAddTask(int p, double trainFraction, int evalEvery, long seed) {
        super("modadd", p + 2, SEQ_LEN, false, seed);
        if (p < 2 || !(trainFraction > 0 && trainFraction <= 1))
            throw new IllegalArgumentException("modadd needs p >= 2 and 0 < train_fraction <= 1");
        this.p = p;
        this.evalEvery = evalEvery;
        int n = p * p;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom r = SequenceTask.rng(seed, -1); // the split's own stream: sample indices are >= 0
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int nTrain = (int) Math.max(1, Math.min(n, Math.round(trainFraction * n)));
        this.train = Arrays.copyOf(order, nTrain);
        this.held = Arrays.copyOfRange(order, nTrain, n);
    }

    public int trainPairs() {
        return train.length;
    }

    @Override
    void fillChecked(long first, TokenBatch out) {
        for (int b = 0; b < out.batch; b++)
            write(out, b, train[SequenceTask.rng(seed, first + b).nextInt(train.length)]);
    }

    /** Every held-out pair once, in a fixed order (empty batch: null, when train_fraction is 1). */
    @Override
    public TokenBatch heldOut() {
        if (held.length == 0) return null;
        TokenBatch out = new TokenBatch(held.length, SEQ_LEN);
        for (int b = 0; b < held.length; b++) write(out, b, held[b]);
        return out;
    }

    @Override
    public int evalEvery() {
        return evalEvery;
    }

    private void write(TokenBatch out, int b, int pair) {
        int o = out.at(b, 0), a = pair / p, c = pair % p;
        out.tokens[o] = a;
        out.tokens[o + 1] = p;
        out.tokens[o + 2] = c;
        out.tokens[o + 3] = p + 1;
        Arrays.fill(out.targets, o, o + SEQ_LEN, 0);
        Arrays.fill(out.mask, o, o + SEQ_LEN, false);
        out.targets[o + 3] = (a + c) % p;
        out.mask[o + 3] = true;
    }

    @Override
    public double baseline() {
        double[] count = new double[p];
        for (int pair : train) count[(pair / p + pair % p) % p]++;
        return entropy(count);
    }
}
