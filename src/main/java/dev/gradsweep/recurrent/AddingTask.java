package dev.gradsweep.recurrent;

import java.util.SplittableRandom;

/**
 * The adding problem (Hochreiter & Schmidhuber 1997): inputs [value ~ U(0, 1), marker ∈ {0, 1}] at each of T steps,
 * exactly two markers, one uniform in the first half [0, ⌊T/2⌋) and one in the second [⌊T/2⌋, T); the target at the last
 * step is the sum of the two marked values. The sum of two independent U(0, 1) has variance 2 · 1/12 = 1/6, so
 * predicting its mean 1 gives MSE 1/6 ≈ 0.167.
 */
public final class AddingTask implements SequenceTask {
    @Override
    public int inputs() {
        return 2;
    }

    @Override
    public int outputs() {
        return 1;
    }

    @Override
    public int groups() {
        return 0;
    }

    @Override
    public String name() {
        return "adding";
    }

    @Override
    public double chanceLoss() {
        return 1.0 / 6;
    }

    @Override
    public void fill(long seed, long first, int batch, int seqLen, double[] x, double[] y) {
        if (seqLen < 2) throw new IllegalArgumentException("adding needs seq_len >= 2");
        int half = seqLen / 2;
        for (int b = 0; b < batch; b++) {
            SplittableRandom r = SequenceTask.rng(seed, first + b);
            int p1 = r.nextInt(half), p2 = half + r.nextInt(seqLen - half);
            double sum = 0;
            for (int t = 0; t < seqLen; t++) {
                int at = (t * batch + b) * 2;
                double v = r.nextDouble();
                x[at] = v;
                x[at + 1] = t == p1 || t == p2 ? 1 : 0;
                if (t == p1 || t == p2) sum += v;
            }
            y[b] = sum;
        }
    }
}
