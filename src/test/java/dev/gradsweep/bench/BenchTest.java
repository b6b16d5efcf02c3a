package dev.gradsweep.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.sweep.Threads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The csv of {@code bench}: the columns before this change unchanged, one row per variant, (net, stats) unique. */
class BenchTest {
    @Test
    void csvHasOneRowPerVariant(@TempDir Path tmp) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Threads.apply(1); // as the bench command does
        StepTimes.run(
                // no warm-up: the csv's form does not depend on it, and the bench's own trains every variant for
                // hundreds of steps
                new StepTimes.Options(true, 1, 2, "mlp50x10", true, 0),
                tmp,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
        assertEquals("net,stats,ms_per_step,variant,ratio_to_bare", lines.get(0), "stdout holds the csv only");
        List<String[]> rows = lines.subList(1, lines.size()).stream()
                .map(l -> l.split(",", -1))
                .collect(Collectors.toList());
        assertEquals(
                List.of(
                        "dl4j",
                        "dl4j_stats",
                        "stacked",
                        "stacked_stats_portable",
                        "dl4j_stats_portable",
                        "dl4j_fit",
                        "samediff",
                        "samediff_dlda"),
                rows.stream().map(r -> r[3]).collect(Collectors.toList()));
        assertEquals(
                rows.size(),
                rows.stream().map(r -> r[0] + "," + r[1]).distinct().count(),
                "(net, stats) unique: " + lines);
        assertEquals(
                List.of("mlp50x10_sigmoid_b32", "off"),
                Arrays.asList(rows.get(0)).subList(0, 2));
        assertEquals(
                List.of("mlp50x10_sigmoid_b32", "on"),
                Arrays.asList(rows.get(1)).subList(0, 2));
        for (String[] r : rows) assertTrue(Double.parseDouble(r[2]) > 0, "ms_per_step of " + r[3]);
        assertEquals("mlp50x10_sigmoid_b32_samediff", rows.get(6)[0]);
        assertTrue(Double.parseDouble(rows.get(6)[4]) > 0, "ratio of samediff to the bare loop");
        assertEquals(
                List.of("mlp50x10_sigmoid_b32_dl4j_stats_portable", "on"),
                Arrays.asList(rows.get(4)).subList(0, 2));
        assertTrue(Double.parseDouble(rows.get(4)[4]) > 0, "ratio of the portable statistics to the bare loop");
        assertEquals("mlp50x10_sigmoid_b32_stacked32", rows.get(2)[0]);
        assertEquals(
                Double.parseDouble(rows.get(2)[2]) / Double.parseDouble(rows.get(0)[2]),
                Double.parseDouble(rows.get(2)[4]),
                0.01,
                "the stacked figure per run-step over the bare loop's");
    }

    /**
     * {@code --soak} rows for the stack on both memory paths, with the count of the stack's buffers: for 2 runs of the
     * 20 x 256 net (batch 128, SGD, float32, 2,048 samples of 256 + 10) by hand, parameters 20 · (256 · 256 + 256) +
     * 256 · 10 + 10 = 1,318,410 and their gradients; per example layer 0's z, a (512), 19 layers' z, a, ∂L/∂x (14,592),
     * the output's z, ∂L/∂x (266), x, y, dOut (276): 15,646 · 128; (2 · 1,318,410 + 2,002,688) · 4 bytes = 18,558,032;
     * host doubles (2 · 128 · 10 + 2,048 · 266) · 8 = 4,378,624, the sample order 2,048 · 4: 22,944,848 bytes a run,
     * 43 MB for 2.
     */
    @Test
    void soakCoversTheStackOnBothPaths(@TempDir Path tmp) throws Exception {
        List<String[]> rows = soak(4, "mlp20x256", List.of("stacked", "stacked_portable"), 2, tmp);
        assertEquals(
                List.of(" stacked:2 ", " stacked_portable:2 "),
                rows.stream().map(r -> r[2]).collect(Collectors.toList()));
        for (String[] r : rows) {
            assertEquals(" 43 ", r[8], "the stack's buffers");
            for (String mb : r[4].split("/")) assertTrue(Long.parseLong(mb.strip()) > 0, "RSS " + r[4]);
        }
    }

    /** The table rows of {@code bench --soak}, split at the bars. */
    private static List<String[]> soak(int steps, String nets, List<String> engines, int stack, Path tmp)
            throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Threads.apply(1);
        MemorySoak.run(
                steps,
                nets,
                engines,
                stack,
                tmp,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream()));
        return out.toString(StandardCharsets.UTF_8)
                .lines()
                .skip(2)
                .map(l -> l.split("\\|", -1))
                .collect(Collectors.toList());
    }

    /**
     * {@code --soak} of a transformer: one row, engine transformer, whatever the engines asked for the MLPs; it trains
     * as a sweep's run, so its rows reach Parquet files under the scratch directory.
     */
    @Test
    void soakTrainsATransformerAsASweepRun(@TempDir Path tmp) throws Exception {
        List<String[]> rows = soak(3, TransformerBench.PRE, List.of("dl4j"), 1, tmp);
        assertEquals(1, rows.size());
        assertEquals(" " + TransformerBench.PRE + " ", rows.get(0)[1]);
        assertEquals(" transformer ", rows.get(0)[2]);
        try (var files = java.nio.file.Files.walk(tmp.resolve(TransformerBench.PRE))) {
            assertTrue(files.anyMatch(f -> f.toString().endsWith(".parquet")), "Parquet files of the run's rows");
        }
    }

    /**
     * {@code bench}'s transformer rows, 1 round x 1 step: per net (pre-LN, post-LN) bare and with statistics, wall and
     * thread CPU, in bench's csv columns; the ratio is the with-statistics row's own ratio of medians with one round.
     */
    @Test
    void transformerRowsPerNet() {
        Threads.apply(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var figures = TransformerBench.reference(TransformerBench.selected("transformer"), 1, 1);
        TransformerBench.print(figures, true, true, new PrintStream(out, true, StandardCharsets.UTF_8));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().collect(Collectors.toList());
        assertEquals("net,stats,ms_per_step,variant,ratio_to_bare", lines.get(0));
        List<String[]> rows = lines.subList(1, lines.size()).stream()
                .map(l -> l.split(",", -1))
                .collect(Collectors.toList());
        List<String> expected = List.of(
                "transformer4x64_pre,off,transformer",
                "transformer4x64_pre,on,transformer_stats",
                "transformer4x64_pre_cpu,off,transformer_cpu",
                "transformer4x64_pre_cpu,on,transformer_stats_cpu",
                "transformer4x64_post,off,transformer",
                "transformer4x64_post,on,transformer_stats",
                "transformer4x64_post_cpu,off,transformer_cpu",
                "transformer4x64_post_cpu,on,transformer_stats_cpu");
        assertEquals(
                expected, rows.stream().map(r -> r[0] + "," + r[1] + "," + r[3]).collect(Collectors.toList()));
        for (String[] r : rows) {
            assertEquals(5, r.length, String.join(",", r));
            assertTrue(Double.parseDouble(r[2]) > 0, "ms_per_step of " + r[0]);
        }
        for (int i = 0; i < rows.size(); i += 2) {
            assertEquals(1.0, Double.parseDouble(rows.get(i)[4]), "bare is the reference");
            double ratio = Double.parseDouble(rows.get(i + 1)[2]) / Double.parseDouble(rows.get(i)[2]);
            assertEquals(ratio, Double.parseDouble(rows.get(i + 1)[4]), 0.01 * ratio, "one round: stats / bare");
        }
        // d 64, ffn 4, vocab 16, T 32, 4 blocks: E and P (16 + 32)·64; per block Q, K, V, O 4·64², 2 norms 4·64,
        // FFN 2·64·256 + 256 + 64; the head 64·16 + 16; the pre-LN net's final norm 2·64
        long perBlock = 4 * 64 * 64 + 4 * 64 + 2 * 64 * 256 + 256 + 64;
        long post = 48 * 64 + 4 * perBlock + 64 * 16 + 16;
        assertEquals(post + 128, figures.get(TransformerBench.PRE).params());
        assertEquals(post, figures.get(TransformerBench.POST).params());
    }
}
