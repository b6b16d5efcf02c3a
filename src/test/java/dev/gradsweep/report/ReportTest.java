package dev.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.sweep.FixtureSweeps;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    static final String GRID = String.join(
            "\n",
            "name: report-test",
            "task: {kind: teacher, inputs: 6, samples: 64}",
            "train: {steps: 8, batch: 16, optimizer: sgd, lr: 0.05, dtype: float32}",
            "seeds: [1]",
            "axes:",
            "  depth: [12]",
            "  width: [16]",
            "  activation: [sigmoid, relu, tanh]",
            "  init: [xavier, he]",
            "");

    @Test
    void aReportEmbedsEveryPlotItDrawsAndEveryPlotHasContent(@TempDir Path tmp) throws Exception {
        Path g = tmp.resolve("g.yaml"), out = tmp.resolve("out"), to = tmp.resolve("report");
        Files.writeString(g, GRID);
        FixtureSweeps.uncompacted(g.toString(), out.toString());
        Files.createDirectories(to);
        Files.writeString(to.resolve("stale.png"), "left by an earlier report");
        SparkSession spark = SparkSession.builder()
                .master("local[2]")
                .appName("report-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        Report.Summary s;
        try {
            // 6 configurations drawn as 4 lines, 2 heat maps: the bounded-output path of a large sweep
            s = Report.write(
                    spark,
                    new Report.Options(
                            out.toString(), to, List.of("0", "last"), 4, 2, Map.of(), "bin/gradsweep report ..."));
        } finally {
            spark.stop();
        }
        String md = Files.readString(s.readme());
        Set<String> embedded = new HashSet<>();
        Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(md);
        while (m.find()) embedded.add(m.group(1));
        Set<String> written = new HashSet<>();
        try (var files = Files.list(to)) {
            files.filter(p -> p.toString().endsWith(".png"))
                    .forEach(p -> written.add(p.getFileName().toString()));
        }
        assertEquals(
                written,
                embedded,
                "every PNG in the directory is embedded, every embedded PNG exists (stale ones removed)");
        // 3 plots per flow step x 2 steps, 2 histograms, 2 heat maps, loss by activation and by init
        assertEquals(12, written.size(), written.toString());
        for (String f : written) {
            BufferedImage img = ImageIO.read(to.resolve(f).toFile());
            assertEquals(Charts.W, img.getWidth(), f);
            assertEquals(Charts.H, img.getHeight(), f);
            assertTrue(colours(img) > 20, f + " looks blank");
            assertTrue(Files.size(to.resolve(f)) < 150_000, f + " too large");
        }
        assertEquals(
                6, s.verdicts().values().stream().mapToLong(Long::longValue).sum());
        for (String v : s.verdicts().keySet()) assertTrue(md.contains("**" + v + "**"), v);
        for (String f : s.findings()) assertTrue(md.contains(f));
        assertTrue(
                s.findings().stream().anyMatch(f -> f.startsWith("activation: ")),
                s.findings().toString());
        assertTrue(md.contains("| `gradsweep.vanish_ratio` | 1e-3 |"), "thresholds listed");
        assertTrue(md.contains("bin/gradsweep report ..."), "regenerate command");
    }

    /** A report written by {@link #sweepAndReport}: the session that wrote it (the caller stops it), and its plots. */
    record Written(SparkSession spark, Report.Summary summary, String md, Set<String> plots) {}

    /**
     * Sweeps a grid under tmp (uncompacted) and writes its report with steps 0 and last, 8 lines and 6 heat maps, in a
     * local[1] session whose views stay registered for the caller's queries; the plots checked by {@link #plots}.
     */
    static Written sweepAndReport(Path tmp, String grid) throws Exception {
        Path g = tmp.resolve("g.yaml"), out = tmp.resolve("out"), to = tmp.resolve("report");
        Files.writeString(g, grid);
        FixtureSweeps.uncompacted(g.toString(), out.toString());
        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .appName("report-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            Report.Summary s = Report.write(
                    spark,
                    new Report.Options(out.toString(), to, List.of("0", "last"), 8, 6, Map.of(), "bin/gradsweep ..."));
            String md = Files.readString(s.readme());
            return new Written(spark, s, md, plots(to, md));
        } catch (Exception | AssertionError e) {
            spark.stop();
            throw e;
        }
    }

    /**
     * The PNGs in a report directory, after checking that they are exactly the ones the README embeds and that each
     * is a full-size plot with content.
     */
    static Set<String> plots(Path to, String md) throws java.io.IOException {
        Set<String> embedded = new HashSet<>(), written = new HashSet<>();
        Matcher m = Pattern.compile("!\\[[^]]*]\\(([^)]+)\\)").matcher(md);
        while (m.find()) embedded.add(m.group(1));
        try (var files = Files.list(to)) {
            files.filter(p -> p.toString().endsWith(".png"))
                    .forEach(p -> written.add(p.getFileName().toString()));
        }
        assertEquals(written, embedded);
        for (String f : written) {
            BufferedImage img = ImageIO.read(to.resolve(f).toFile());
            assertEquals(Charts.W, img.getWidth(), f);
            assertEquals(Charts.H, img.getHeight(), f);
            assertTrue(colours(img) > 20, f + " looks blank");
        }
        return written;
    }

    static int colours(BufferedImage img) {
        Set<Integer> c = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3)
            for (int x = 0; x < img.getWidth(); x += 3) c.add(img.getRGB(x, y));
        return c.size();
    }

    @Test
    void representativesSpanTheRangeAndIncludeBothEnds() {
        List<Integer> all = java.util.stream.IntStream.range(0, 1000).boxed().toList();
        List<Integer> pick = Representatives.spread(all, 6);
        assertEquals(6, pick.size());
        assertEquals(0, pick.get(0));
        assertEquals(999, pick.get(5));
        assertEquals(List.of(1, 2), Representatives.spread(List.of(1, 2), 6));
    }

    @Test
    void findingsSentencesComeFromTheNumbers() {
        List<Map<String, Object>> effects = List.of(
                Map.of(
                        "axis",
                        "activation",
                        "value",
                        "relu",
                        "runs",
                        4L,
                        "held_fixed",
                        true,
                        "healthy",
                        1.0,
                        "vanishing",
                        0.0,
                        "median_slope_delta",
                        0.01,
                        "fixes",
                        2L,
                        "broken_contexts",
                        2L),
                Map.of(
                        "axis",
                        "activation",
                        "value",
                        "sigmoid",
                        "runs",
                        4L,
                        "held_fixed",
                        true,
                        "healthy",
                        0.25,
                        "vanishing",
                        0.75,
                        "median_slope_delta",
                        0.6,
                        "fixes",
                        0L,
                        "broken_contexts",
                        2L));
        String s = Findings.axis("activation", effects);
        assertTrue(
                s.startsWith("activation: relu is healthy in 100% of its 4 runs, sigmoid in 25% (75% vanishing)"), s);
        assertTrue(s.contains("0.01 vs 0.6 decades per layer"), s);
        assertTrue(s.contains("relu is healthy in 2 of 2 configurations"), s);
        List<Map<String, Object>> verdicts = List.of(
                Map.of(
                        "verdict",
                        "vanishing",
                        "slope_w",
                        0.02,
                        "slope_delta",
                        0.45,
                        "log10_delta_in",
                        -20.5,
                        "seed",
                        1L,
                        "stall_layer",
                        40,
                        "starved_layers",
                        5L,
                        "starved_layer_set",
                        "0–3, 40"),
                Map.of("verdict", "healthy", "slope_w", 0.0, "slope_delta", 0.01, "log10_delta_in", -0.2, "seed", 1L));
        assertEquals("Of 2 runs, 1 healthy, 1 vanishing.", Findings.overall(verdicts));
        assertTrue(Findings.hiddenDecay(verdicts).startsWith("1 run has a flat weight-gradient profile"));
        String d = Findings.deepestStall(verdicts, v -> "relu · standard");
        assertTrue(
                d.contains("relu · standard (seed 1, vanishing)")
                        && d.contains("10^-20.5")
                        && d.contains("layers 0–3, 40 get less than the vanishing threshold"),
                d);
        // the starved layers as the view lists them, not 0 to stall_layer (they need not be contiguous)
        assertTrue(Findings.deepestStall(
                        List.of(Map.of(
                                "verdict",
                                "vanishing",
                                "log10_delta_in",
                                -4.0,
                                "seed",
                                1L,
                                "stall_layer",
                                0,
                                "starved_layers",
                                1L,
                                "starved_layer_set",
                                "0")),
                        v -> "x")
                .endsWith("and layer 0 gets less than the vanishing threshold."));
        // one sentence per verdict with an example's reason and advice, preferring advice the sweep itself shows
        List<Map<String, Object>> why = List.of(
                Map.of(
                        "verdict",
                        "frozen",
                        "seed",
                        1L,
                        "reason",
                        "every layer's median update ratio is below 1e-4",
                        "try",
                        "a larger lr",
                        "try_from",
                        "textbook"),
                Map.of(
                        "verdict",
                        "frozen",
                        "seed",
                        2L,
                        "reason",
                        "every layer's median update ratio is below 1e-4 (2e-8)",
                        "try",
                        "lr: 0.05 (healthy in the same configuration)",
                        "try_from",
                        "sweep"),
                Map.of("verdict", "healthy", "seed", 1L, "reason", "closed 50% of the gap"));
        List<String> w = Findings.why(why, v -> "relu · he");
        assertEquals(1, w.size(), w.toString());
        // progress unknown is not healthy: counted, explained and advised, between not_learning and healthy
        List<Map<String, Object>> unknown = List.of(
                Map.of("verdict", "healthy", "seed", 1L),
                Map.of(
                        "verdict",
                        "progress_unknown",
                        "seed",
                        1L,
                        "reason",
                        "progress is unknown: the best constant predictor's loss is 0",
                        "try",
                        "check the task's target",
                        "try_from",
                        "textbook"),
                Map.of("verdict", "not_learning", "seed", 1L));
        assertEquals("Of 3 runs, 1 healthy, 1 progress_unknown, 1 not_learning.", Findings.overall(unknown));
        assertEquals(
                List.of(
                        "1 run is not_learning: t (seed 1).",
                        "1 run is progress_unknown: t (seed 1): progress is unknown: the best constant predictor's "
                                + "loss is 0. Try check the task's target (the textbook fix)."),
                Findings.why(unknown, v -> "t"));
        assertEquals(
                "2 runs are frozen, e.g. relu · he (seed 2): every layer's median update ratio is below 1e-4 (2e-8). "
                        + "Try lr: 0.05 (healthy in the same configuration).",
                w.get(0));
        assertEquals("-∞", Findings.fmt(Double.NEGATIVE_INFINITY));
        assertEquals("1.23e-05", Findings.fmt(1.2345e-5));
        assertEquals("0.5", Findings.fmt(0.5));
    }
}
