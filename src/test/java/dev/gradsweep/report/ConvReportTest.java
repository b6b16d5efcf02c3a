package dev.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.conv.ConvSpec;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a sweep of conv runs: He et al.'s Fig. 7 (response std per 3 × 3 conv layer) recomputed from the raw
 * layers rows, the loss per configuration, stage boundaries where the units say they are, and the CNN advice.
 */
class ConvReportTest {
    /** A plain net of 2 convs and a ResNet of 2 basic blocks, two stages, 12 steps: past the 10 steps averaged. */
    static final String GRID = String.join(
            "\n",
            "name: conv-report-test",
            "task: {kind: teacher_cnn, size: 6, channels: 1, samples: 64}",
            "train: {steps: 12, batch: 8, optimizer: momentum, lr: 0.05, dtype: float32, stages: 2}",
            "seeds: [1]",
            "axes:",
            "  arch: [conv]",
            "  depth: [2]",
            "  width: [4]",
            "  activation: [relu]",
            "  init: [he]",
            "  norm: [batch]",
            "  placement: [post]",
            "  skip: [none, residual]",
            "");

    @Test
    void aConvSweepsReportDrawsResponsesLossPerConfigurationAndStages(@TempDir Path tmp) throws Exception {
        ReportTest.Written w = ReportTest.sweepAndReport(tmp, GRID);
        SparkSession spark = w.spark();
        try {
            assertTrue(w.plots().contains("conv_response_std.png"), w.plots().toString());
            assertTrue(w.plots().contains("conv_loss_by_config.png"), w.plots().toString());
            assertTrue(w.md().contains("## Conv layers: response std (He et al. 2016, Fig. 7)"), w.md());

            Map<String, String> config = new LinkedHashMap<>();
            List<Map<String, Object>> runs = Queries.rows(spark, "SELECT * FROM verdicts");
            for (Map<String, Object> v : runs) config.put((String) v.get("run_id"), "skip " + v.get("skip"));
            // raw rows: each run's mean response_std over steps 2 … 11 (its last 10) per layer and kind
            Map<String, Map<Integer, Double>> want = new HashMap<>();
            for (Row r : spark.sql("SELECT run_id, layer, kind, avg(response_std) FROM layers WHERE step >= 2 AND "
                            + "response_std IS NOT NULL GROUP BY 1, 2, 3")
                    .collectAsList()) {
                // the 3 × 3 conv count from the input: stem 0, plain conv l is l + 1, block l's second conv 2l + 2
                int l = r.getInt(1), x = l < 0 ? 0 : r.getString(2).equals("block") ? 2 * l + 2 : l + 1;
                want.computeIfAbsent(config.get(r.getString(0)), k -> new TreeMap<>())
                        .put(x, r.getDouble(3));
            }
            assertEquals(Map.of(0, 1, 1, 1, 2, 1), keys(want.get("skip none")), "stem and two convs");
            assertEquals(Map.of(0, 1, 2, 1, 4, 1), keys(want.get("skip residual")), "stem and two blocks' 2nd convs");
            Map<String, TreeMap<Integer, double[]>> got = ConvPlots.responses(spark, config);
            for (var c : want.entrySet()) {
                assertEquals(c.getValue().keySet(), got.get(c.getKey()).keySet(), c.getKey());
                c.getValue().forEach((x, v) -> {
                    double[] acc = got.get(c.getKey()).get(x);
                    assertEquals(1, acc[1], "one seed");
                    assertEquals(v, acc[0], 1e-12, c.getKey() + " layer " + x);
                });
            }
            // depth 2 over 2 stages: stage 1 starts at unit 1; in 3 × 3 convs at plain conv 2 and at block 1's first
            // conv (3), so the dashed lines sit half a layer before
            assertEquals(Map.of(0.5, List.of("stage 1 (depth 2)")), ConvPlots.stageBounds(runs, false));
            assertEquals(
                    Map.of(1.5, List.of("stage 1 (depth 2)"), 2.5, List.of("stage 1 (depth 2)")),
                    ConvPlots.stageBounds(runs, true));
            assertTrue(w.md().contains(" Conv nets: stage 1 (depth 2) starts at layer 1.\n"), w.md());
        } finally {
            spark.stop();
        }
    }

    private static Map<Integer, Integer> keys(Map<Integer, Double> m) {
        Map<Integer, Integer> out = new HashMap<>();
        m.keySet().forEach(k -> out.put(k, 1));
        return out;
    }

    /** firstUnit inverts stageOf: the smallest unit of each stage, for every depth and stage count up to 12 and 4. */
    @Test
    void firstUnitOfAStageIsWhereStageOfChanges() {
        for (int stages = 1; stages <= 4; stages++)
            for (int depth = stages; depth <= 12; depth++) {
                ConvSpec spec = new ConvSpec(
                        1,
                        8,
                        8,
                        10,
                        4,
                        stages,
                        depth,
                        1,
                        Activation.parse("relu"),
                        Init.parse("he"),
                        Norm.BATCH,
                        Placement.POST,
                        Skip.NONE,
                        TrainSpec.DType.FLOAT32,
                        1);
                for (int s = 0; s < stages; s++) {
                    int first = 0;
                    while (spec.stageOf(first) != s) first++;
                    assertEquals(first, ConvSpec.firstUnit(s, depth, stages), depth + " over " + stages + ", " + s);
                }
            }
    }

    @Test
    void cnnAdviceNamesTheLiteraturesFixForConvRunsOnly() {
        Map<String, Object> plain = run("conv", "none", "batch", 32, "not_learning"),
                res4 = run("conv", "residual", "batch", 32, "healthy"),
                res = run("conv", "residual", "batch", 32, "healthy"),
                small = run("conv", "residual", "batch", 4, "not_learning"),
                unnormed = run("conv", "residual", "none", 32, "diverged"),
                mlp = run("mlp", "none", "batch", 4, "not_learning");
        plain.put("depth", 16);
        res4.put("depth", 4);
        res.put("depth", 8); // 16 conv layers, as the plain net: preferred to the first healthy ResNet
        List<String> a = ConvFindings.advice(
                List.of(plain, res4, res), v -> v.get("skip") + " " + v.get("depth") + " " + v.get("verdict"));
        assertEquals(1, a.size(), a.toString());
        assertTrue(a.get(0).contains("1 plain conv net is not healthy (e.g. none 16 not_learning, seed 1"), a.get(0));
        assertTrue(a.get(0).contains("Try skip: residual"), a.get(0));
        assertTrue(a.get(0).endsWith("in this sweep residual 8 healthy is healthy."), a.get(0));
        List<String> b = ConvFindings.advice(List.of(small, unnormed, mlp), v -> (String) v.get("norm"));
        assertEquals(2, b.size(), b.toString());
        assertTrue(b.get(0).contains("batch below 16") && b.get(0).contains("norm: group"), b.get(0));
        assertTrue(b.get(1).contains("skip: fixup") && b.get(1).contains("(e.g. none, seed 1: diverged)"), b.get(1));
        assertEquals(List.of(), ConvFindings.advice(List.of(mlp), v -> "x"), "no advice for an MLP");
    }

    private static Map<String, Object> run(String arch, String skip, String norm, int batch, String verdict) {
        Map<String, Object> v = new HashMap<>();
        v.put("arch", arch);
        v.put("skip", skip);
        v.put("norm", norm);
        v.put("batch", batch);
        v.put("verdict", verdict);
        v.put("seed", 1L);
        return v;
    }
}
