package dev.gradsweep.transformer.task;

import dev.gradsweep.recurrent.SequenceTask;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * text: character-level next-token prediction on a UTF-8 file, causal attention (the decoder-only case). The
 * vocabulary is the file's distinct code points, sorted (id = rank). A sample is a window at a uniform start
 * s ∈ [0, N − T − 1] of the N code points: inputs x[s … s + T − 1], targets x[s + 1 … s + T], every position with a
 * loss; so N ≥ T + 1 (the grid checks it: task.path).
 * <p>
 * Baseline: the target at text position j (1 ≤ j ≤ N − 1) is drawn by the windows whose start s has
 * s + 1 ≤ j ≤ s + T, i.e. w(j) = min(N − T − 1, j − 1) − max(0, j − T) + 1 of the N − T starts, Σ w = (N − T)·T. The
 * pooled masked target frequency is q_c = Σ_{j: x_j = c} w(j) / ((N − T)·T), and the best constant predictor's
 * cross-entropy is H(q) (not the file's plain unigram entropy: characters near the ends are in fewer windows).
 */
public final class TextTask extends TokenTask {
    /** The text as token ids, and the code point of each id. */
    private final int[] ids, alphabet;

    public TextTask(String text, int seqLen, long seed) {
        this(text.codePoints().toArray(), seqLen, seed);
    }

    private TextTask(int[] cps, int seqLen, long seed) {
        super("text", (int) Arrays.stream(cps).distinct().count(), seqLen, true, seed);
        if (seqLen < 1 || cps.length < seqLen + 1)
            throw new IllegalArgumentException("the text has " + cps.length + " characters; seq_len " + seqLen
                    + " needs at least " + (seqLen + 1));
        this.alphabet = Arrays.stream(cps).distinct().sorted().toArray();
        this.ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) ids[i] = Arrays.binarySearch(alphabet, cps[i]);
    }

    /** Reads the UTF-8 file (the grid has checked it before Spark started). */
    public static TextTask load(String path, int seqLen, long seed) {
        try {
            return new TextTask(Files.readString(Path.of(path), StandardCharsets.UTF_8), seqLen, seed);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("task.path " + path + ": cannot be read", e);
        }
    }

    /** The code point of token id {@code id}. */
    public int codePoint(int id) {
        return alphabet[id];
    }

    @Override
    void fillChecked(long first, TokenBatch out) {
        int seqLen = seqLen();
        Arrays.fill(out.mask, true);
        for (int b = 0; b < out.batch; b++) {
            SplittableRandom r = SequenceTask.rng(seed, first + b);
            int s = r.nextInt(ids.length - seqLen), o = out.at(b, 0);
            System.arraycopy(ids, s, out.tokens, o, seqLen);
            System.arraycopy(ids, s + 1, out.targets, o, seqLen);
        }
    }

    @Override
    public double baseline() {
        int n = ids.length, seqLen = seqLen(), last = n - seqLen - 1;
        double[] weight = new double[alphabet.length];
        for (int j = 1; j < n; j++) weight[ids[j]] += Math.min(last, j - 1) - Math.max(0, j - seqLen) + 1;
        return entropy(weight);
    }
}
