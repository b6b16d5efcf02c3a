package dev.gradsweep.transformer;

import dev.gradsweep.transformer.task.TokenBatch;
import dev.gradsweep.transformer.task.TokenTask;

/**
 * The loss of a transformer on its task's held-out sequences ({@link TokenTask#heldOut}, modadd's pairs never trained
 * on): the mean cross-entropy over every masked position of every held-out sequence, by forward passes of the run's
 * own net in chunks of its batch size. A short last chunk is padded with sequences that carry no target, and each
 * chunk's mean is weighted by its number of targets, so the result is the mean over the whole set, as one forward of
 * it would give.
 */
final class HeldOutLoss {
    private final TokenBatch held, chunk;
    private final int[] targets;
    private final int every;

    private HeldOutLoss(TokenBatch held, int batch, int every) {
        this.held = held;
        this.chunk = new TokenBatch(batch, held.seqLen);
        this.targets = new int[chunk.tokens.length];
        this.every = every;
    }

    /** The evaluator of {@code task} for a net of {@code batch} sequences; null when there is nothing to evaluate. */
    static HeldOutLoss of(TokenTask task, int batch) {
        TokenBatch held = task.heldOut();
        return held == null || task.evalEvery() <= 0 ? null : new HeldOutLoss(held, batch, task.evalEvery());
    }

    /** Evaluated at step 0, every {@code eval_every} steps after it, and at the last step. */
    boolean due(int step, int steps) {
        return step % every == 0 || step == steps - 1;
    }

    /** The held-out loss of the net's current parameters; leaves the net's batch set to the last chunk. */
    double evaluate(TransformerNet net) {
        int seqs = held.batch, per = chunk.batch, t = held.seqLen;
        double sum = 0;
        long n = 0;
        for (int from = 0; from < seqs; from += per) {
            int m = 0;
            for (int b = 0; b < per; b++) {
                int src = Math.min(from + b, seqs - 1) * t; // padding: a real sequence's tokens, no targets
                boolean pad = from + b >= seqs;
                for (int i = 0; i < t; i++) {
                    int at = b * t + i;
                    chunk.tokens[at] = held.tokens[src + i];
                    targets[at] = !pad && held.mask[src + i] ? held.targets[src + i] : -1;
                    if (targets[at] >= 0) m++;
                }
            }
            net.setBatch(chunk.tokens, targets);
            sum += net.loss() * m;
            n += m;
        }
        return sum / n;
    }
}
