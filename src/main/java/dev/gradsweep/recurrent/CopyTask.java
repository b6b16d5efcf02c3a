package dev.gradsweep.recurrent;

import java.util.SplittableRandom;

/**
 * Recall k symbols after a delay: steps 0 … k−1 carry one-hot symbols of an alphabet of A (uniform, independent),
 * steps k … T−2 are blank (all zero), step T−1 carries the recall marker (input channel A); from the last hidden state
 * the network classifies all k symbols, k softmax groups of A classes. The delay between the last symbol and the
 * recall is T − k steps. Chance (the uniform prediction) has cross-entropy ln A.
 */
public final class CopyTask implements SequenceTask {
    public final int k, alphabet;

    public CopyTask(int k, int alphabet) {
        if (k < 1 || alphabet < 2) throw new IllegalArgumentException("copy needs k >= 1 and an alphabet of >= 2");
        this.k = k;
        this.alphabet = alphabet;
    }

    @Override
    public int inputs() {
        return alphabet + 1;
    }

    @Override
    public int outputs() {
        return k * alphabet;
    }

    @Override
    public int groups() {
        return k;
    }

    @Override
    public String name() {
        return "copy:" + k + ":" + alphabet;
    }

    @Override
    public double chanceLoss() {
        return Math.log(alphabet);
    }

    @Override
    public void fill(long seed, long first, int batch, int seqLen, double[] x, double[] y) {
        if (seqLen < k + 1) throw new IllegalArgumentException("copy with k = " + k + " needs seq_len >= " + (k + 1));
        int in = inputs();
        java.util.Arrays.fill(x, 0, seqLen * batch * in, 0);
        java.util.Arrays.fill(y, 0, batch * outputs(), 0);
        for (int b = 0; b < batch; b++) {
            SplittableRandom r = SequenceTask.rng(seed, first + b);
            for (int j = 0; j < k; j++) {
                int s = r.nextInt(alphabet);
                x[(j * batch + b) * in + s] = 1;
                y[b * outputs() + j * alphabet + s] = 1;
            }
            x[((seqLen - 1) * batch + b) * in + alphabet] = 1;
        }
    }
}
