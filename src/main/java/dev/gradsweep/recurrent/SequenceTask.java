package dev.gradsweep.recurrent;

import java.util.SplittableRandom;

/**
 * A sequence task whose samples are a pure function of (seed, sample index), so training draws fresh samples every
 * step (step s uses samples s·batch …) and a held-out set is another index range, without storing a data set.
 */
public interface SequenceTask {
    int inputs();

    int outputs();

    /** 0 for regression, else the number of softmax groups of the output (see {@link RecurrentSpec}). */
    int groups();

    String name();

    /**
     * Writes samples [first, first + batch) of sequence length T: x time-major, x[(t·batch + b)·inputs + j], and
     * y[b·outputs + k] (one-hot per group for classification).
     */
    void fill(long seed, long first, int batch, int seqLen, double[] x, double[] y);

    /** The loss of the best constant prediction (the task's chance level). */
    double chanceLoss();

    /** An independent generator for one sample. */
    static SplittableRandom rng(long seed, long index) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL);
    }

    /** By name: {@code adding}, {@code copy} (k = 3 symbols of 4; {@code copy:<k>:<alphabet>} to choose). */
    static SequenceTask parse(String s) {
        String t = s.trim().toLowerCase();
        if (t.equals("adding")) return new AddingTask();
        if (t.equals("copy")) return new CopyTask(3, 4);
        if (t.startsWith("copy:")) {
            String[] p = t.split(":");
            if (p.length == 3) {
                try {
                    return new CopyTask(Integer.parseInt(p[1]), Integer.parseInt(p[2]));
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
