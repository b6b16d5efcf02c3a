package dev.gradsweep.transformer.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token tasks: their layouts, determinism, the modadd split, and each baseline by hand and by sampling. */
class TokenTasksTest {
    /**
     * The plug-in entropy of n draws from q differs from H(q) by a first-order term of standard deviation
     * sqrt(Var[ln q(y)] / n) and a downward bias of about χ²_{K−1} / (2n) (mean K − 1, sd √(2(K − 1))): the test allows
     * 5 standard deviations of each.
     */
    static void assertBaselineMatchesSampling(TokenTask task, int batches, int batch) {
        TokenBatch out = new TokenBatch(batch, task.seqLen());
        double[] count = new double[task.vocab()];
        long n = 0;
        for (int i = 0; i < batches; i++) {
            task.fill((long) i * batch, out);
            for (int j = 0; j < out.mask.length; j++)
                if (out.mask[j]) {
                    count[out.targets[j]]++;
                    n++;
                }
        }
        double h = TokenTask.entropy(count), mean = 0, sq = 0;
        int k = 0;
        for (double c : count)
            if (c > 0) {
                double q = c / n, l = Math.log(q);
                mean += q * l;
                sq += q * l * l;
                k++;
            }
        double tol =
                5 * Math.sqrt(Math.max(0, sq - mean * mean) / n) + (k - 1 + 5 * Math.sqrt(2.0 * (k - 1))) / (2.0 * n);
        assertEquals(task.baseline(), h, tol, task.name() + ": the baseline is the pooled targets' entropy");
    }

    @Test
    void reverseAndSortAlignTheirTargetsWithEveryInput() {
        TokenBatch out = new TokenBatch(5, 7);
        ReverseSortTask rev = new ReverseSortTask(false, 6, 7, 11), sort = new ReverseSortTask(true, 6, 7, 11);
        rev.fill(40, out);
        int[] tokens = out.tokens.clone(), reversed = out.targets.clone();
        sort.fill(40, out);
        assertArrayEquals(tokens, out.tokens, "the same seed and indices draw the same inputs");
        for (int b = 0; b < 5; b++) {
            int[] x = Arrays.copyOfRange(tokens, b * 7, b * 7 + 7), s = x.clone();
            Arrays.sort(s);
            for (int t = 0; t < 7; t++) {
                assertTrue(x[t] >= 0 && x[t] < 6);
                assertEquals(x[6 - t], reversed[b * 7 + t]);
                assertEquals(s[t], out.targets[b * 7 + t]);
            }
        }
        assertEquals(5 * 7, out.lossPositions());
        assertFalse(rev.causal() || sort.causal());
        // samples are indexed: starting one later shifts the batch by one sequence; another seed, other data
        rev.fill(41, out);
        assertArrayEquals(Arrays.copyOfRange(tokens, 7, 35), Arrays.copyOfRange(out.tokens, 0, 28));
        new ReverseSortTask(false, 6, 7, 12).fill(40, out);
        assertFalse(Arrays.equals(tokens, out.tokens));
        assertEquals(Math.log(6), rev.baseline(), 0);
        assertBaselineMatchesSampling(rev, 400, 64);
        assertBaselineMatchesSampling(sort, 400, 64);
        assertThrows(IllegalArgumentException.class, () -> rev.fill(0, new TokenBatch(2, 6)));
    }

    @Test
    void modaddSplitsThePairsOnceAndTrainsOnItsPart() {
        int p = 7;
        ModAddTask task = new ModAddTask(p, 0.4, 3);
        assertEquals(Math.round(0.4 * 49), task.trainPairs());
        assertEquals(p + 2, task.vocab());
        TokenBatch held = task.heldOut();
        assertEquals(49 - task.trainPairs(), held.batch);
        Set<Integer> heldPairs = new HashSet<>(), trainPairs = new HashSet<>();
        for (int b = 0; b < held.batch; b++) heldPairs.add(held.tokens[b * 4] * p + held.tokens[b * 4 + 2]);
        assertEquals(held.batch, heldPairs.size(), "each held-out pair once");
        TokenBatch out = new TokenBatch(32, 4);
        for (int i = 0; i < 50; i++) {
            task.fill(i * 32L, out);
            for (int b = 0; b < 32; b++) {
                int a = out.tokens[b * 4], c = out.tokens[b * 4 + 2];
                assertArrayEquals(new int[] {a, p, c, p + 1}, Arrays.copyOfRange(out.tokens, b * 4, b * 4 + 4));
                assertArrayEquals(
                        new boolean[] {false, false, false, true}, Arrays.copyOfRange(out.mask, b * 4, b * 4 + 4));
                assertEquals((a + c) % p, out.targets[b * 4 + 3]);
                trainPairs.add(a * p + c);
            }
        }
        assertEquals(task.trainPairs(), trainPairs.size(), "1600 draws reach all 20 train pairs");
        assertTrue(trainPairs.stream().noneMatch(heldPairs::contains), "training never draws a held-out pair");
        // the split is the seed's: the same for the same seed, another for another
        assertEquals(heldPairs, pairs(new ModAddTask(p, 0.4, 3).heldOut(), p));
        assertNotEquals(heldPairs, pairs(new ModAddTask(p, 0.4, 4).heldOut(), p));
        // f = 1: every residue has p of the p² pairs, baseline ln p exactly; nothing held out
        ModAddTask all = new ModAddTask(p, 1, 3);
        assertEquals(Math.log(p), all.baseline(), 1e-12);
        assertEquals(null, all.heldOut());
        assertTrue(task.baseline() < Math.log(p));
        assertBaselineMatchesSampling(task, 400, 64);
    }

    static Set<Integer> pairs(TokenBatch b, int p) {
        Set<Integer> s = new HashSet<>();
        for (int i = 0; i < b.batch; i++) s.add(b.tokens[i * 4] * p + b.tokens[i * 4 + 2]);
        return s;
    }

    @Test
    void textPredictsTheNextCharacterOfWindows() {
        String text = "héllo wörld, 😀 hello again";
        int[] cps = text.codePoints().toArray();
        TextTask task = new TextTask(text, 5, 9);
        assertTrue(task.causal());
        int[] sorted = Arrays.stream(cps).distinct().sorted().toArray();
        assertEquals(sorted.length, task.vocab());
        for (int id = 0; id < sorted.length; id++) assertEquals(sorted[id], task.codePoint(id));
        TokenBatch out = new TokenBatch(50, 5);
        task.fill(0, out);
        String s = new String(cps, 0, cps.length);
        for (int b = 0; b < 50; b++) {
            StringBuilder in = new StringBuilder(), next = new StringBuilder();
            for (int t = 0; t < 5; t++) {
                in.appendCodePoint(task.codePoint(out.tokens[b * 5 + t]));
                next.appendCodePoint(task.codePoint(out.targets[b * 5 + t]));
            }
            int at = s.indexOf(in.toString() + next.substring(next.offsetByCodePoints(0, 4)));
            assertTrue(at >= 0, "a window of the text and the character after it: " + in + " -> " + next);
            assertEquals(in.substring(in.offsetByCodePoints(0, 1)), next.substring(0, next.offsetByCodePoints(0, 4)));
        }
        assertEquals(50 * 5, out.lossPositions());
        assertBaselineMatchesSampling(task, 400, 64);
    }

    /** Hand-derived baselines: the windows' weights make them differ from the plain character frequencies. */
    @Test
    void textBaselineWeighsCharactersByTheWindowsThatPredictThem() {
        // "aab", T = 1: starts 0, 1 predict x[1] = a and x[2] = b: q = (1/2, 1/2)
        assertEquals(Math.log(2), new TextTask("aab", 1, 1).baseline(), 1e-12);
        // "aaab", T = 2: starts 0, 1 predict "aa" and "ab": q = (3/4, 1/4)
        assertEquals(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), new TextTask("aaab", 2, 1).baseline(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new TextTask("abc", 3, 1));
    }

    @Test
    void aRunConfigGivesItsTask(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("t.txt"), "to be or not to be");
        String grid = String.join(
                "\n",
                "name: t",
                "task: {kind: text, path: '" + file + "'}",
                "train: {steps: 2, batch: 4}",
                "axes: {arch: [transformer], depth: [1], width: [8], activation: [gelu], init: [xavier], seq_len: [6]}",
                "");
        RunConfig rc = GridSpec.parse(grid, "g.yaml").expand().get(0);
        TokenTask t = TokenTasks.of(rc);
        assertTrue(t instanceof TextTask);
        assertEquals(6, t.seqLen());
        assertEquals(7, t.vocab(), "t o ' ' b e r n");
        RunConfig mod = GridSpec.parse(
                        grid.replace("{kind: text, path: '" + file + "'}", "{kind: modadd, p: 5}")
                                .replace(", seq_len: [6]", ""),
                        "g.yaml")
                .expand()
                .get(0);
        assertEquals(ModAddTask.SEQ_LEN, TokenTasks.of(mod).seqLen());
        assertEquals("modadd", TokenTasks.of(mod).name());
    }
}
