package dev.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a sweep of transformer runs: its own section (verdict table with the transformer columns, δ and
 * stream RMS per block, attention entropy over blocks and steps) in place of the per-layer plots, its numbers
 * recomputed here from the raw layers and attention rows; modadd's held-out loss beside the training loss.
 */
class TransformerReportTest {
    static final String GRID = String.join(
            "\n",
            "name: tf-report-test",
            "task: {kind: modadd, p: 5, eval_every: 2}", // the report's transformer section is the task's; held-out
            // loss
            "train: {steps: 4, batch: 8, optimizer: adam, lr: 0.01, dtype: float64}",
            "seeds: [1]",
            "axes:",
            "  arch: [transformer]",
            "  depth: [2]",
            "  width: [8]",
            "  heads: [2]",
            "  seq_len: [4]",
            "  activation: [gelu]",
            "  init: [xavier]",
            "  norm: [layer]",
            "  placement: [pre, post]",
            "  skip: [residual]",
            "");

    @Test
    void aTransformerSweepsReportDrawsBlocksAndAttentionFromTheTables(@TempDir Path tmp) throws Exception {
        ReportTest.Written w = ReportTest.sweepAndReport(tmp, GRID);
        SparkSession spark = w.spark();
        try {
            String md = w.md();
            Set<String> written = w.plots();
            // no per-layer MLP plots: δ and RMS at two steps, the lowest head, one entropy map per run, loss
            assertEquals(
                    Set.of(
                            "tf_delta_step0.png",
                            "tf_rms_step0.png",
                            "tf_delta_last.png",
                            "tf_rms_last.png",
                            "tf_entropy_lowest.png",
                            "heat_entropy_1.png",
                            "heat_entropy_2.png",
                            "loss_by_placement.png",
                            "heldout_loss.png"),
                    written);
            assertTrue(md.contains("## Training and held-out loss"), md);
            assertTrue(md.contains("## Through the blocks: transformer runs"), md);

            // raw attention rows: run → step → block → head entropies
            Map<String, Map<Integer, Map<Integer, List<Double>>>> ent = new HashMap<>();
            for (Row r : spark.sql("SELECT run_id, step, layer, entropy_mean FROM attention")
                    .collectAsList())
                ent.computeIfAbsent(r.getString(0), k -> new TreeMap<>())
                        .computeIfAbsent(r.getInt(1), k -> new TreeMap<>())
                        .computeIfAbsent(r.getInt(2), k -> new java.util.ArrayList<>())
                        .add(r.getDouble(3));
            // the verdict table: transformer columns, and the entropy at step 0 and 3 as means over blocks and heads
            Map<String, String> config = new LinkedHashMap<>();
            for (Row v : spark.sql("SELECT run_id, placement, verdict, log10_delta_in FROM verdicts")
                    .collectAsList()) {
                String id = v.getString(0), label = "placement " + v.getString(1);
                config.put(id, label);
                String row = "| " + label + " | 1 | **" + v.getString(2) + "** | 2 | " + v.getString(1)
                        + " | layer | residual | 2 | 4 | learned | 4 | ";
                row += Findings.fmt(v.getDouble(3)) + " | "
                        + Findings.fmt(mean(ent.get(id).get(0))) + " → "
                        + Findings.fmt(mean(ent.get(id).get(3))) + " | ";
                assertTrue(md.contains(row), row + " in\n" + md);
                assertEquals(4, ent.get(id).size(), "4 steps");
            }
            assertEquals(2, config.size());

            // the δ and RMS lines are the layers rows of kind block (one seed: the geometric mean is the value)
            Map<String, TransformerPlots.Streams> flow = TransformerPlots.streams(spark, List.of("0", "last"), config);
            int checked = 0;
            for (Row r : spark.sql("SELECT run_id, step, layer, act_grad_l2, act_mean, act_std FROM layers "
                            + "WHERE kind = 'block' AND step IN (0, 3)")
                    .collectAsList()) {
                TransformerPlots.Streams st = flow.get(r.getInt(1) == 0 ? "0" : "last");
                String c = config.get(r.getString(0));
                double rms = Math.sqrt(r.getDouble(4) * r.getDouble(4) + r.getDouble(5) * r.getDouble(5));
                assertEquals(Math.log10(r.getDouble(3)), st.delta().get(c).get(r.getInt(2))[0], 1e-12);
                assertEquals(Math.log10(rms), st.rms().get(c).get(r.getInt(2))[0], 1e-12);
                checked++;
            }
            assertEquals(2 * 2 * 2, checked, "2 runs x 2 blocks x 2 steps");
            // post-LN at step 0: each block output is LayerNorm(x) with γ = 1, β = 0, so each row has mean 0 and
            // variance var/(var + 1e-5): the RMS is 1 from below, within 1e-2 while row variances exceed 1e-3
            for (int b = 0; b < 2; b++) {
                double rms =
                        Math.pow(10, flow.get("0").rms().get("placement post").get(b)[0]);
                assertTrue(rms <= 1 + 1e-12 && rms > 0.99, "post-LN block " + b + " RMS " + rms);
            }

            // the heat maps' cells: the mean over heads of entropy_mean per block and step (4 steps: one per column)
            int cells = 0;
            for (Row r : TransformerPlots.heatRows(spark, config.keySet())) {
                assertEquals(r.getLong(2), r.getInt(3), "a column per step");
                assertEquals(mean(ent.get(r.getString(0)).get(r.getInt(3)).get(r.getInt(1))), r.getDouble(4), 1e-12);
                cells++;
            }
            assertEquals(2 * 4 * 2, cells, "2 runs x 4 steps x 2 blocks");
            // the lowest-head line: the smallest entropy_mean over blocks and heads at each step
            Map<String, TreeMap<Integer, double[]>> lowest = TransformerPlots.lowestHead(spark, config);
            for (var e : config.entrySet())
                for (int step = 0; step < 4; step++) {
                    double min = ent.get(e.getKey()).get(step).values().stream()
                            .flatMap(List::stream)
                            .mapToDouble(Double::doubleValue)
                            .min()
                            .orElseThrow();
                    assertEquals(Math.log10(min), lowest.get(e.getValue()).get(step)[0], 1e-12);
                }
        } finally {
            spark.stop();
        }
    }

    private static double mean(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    private static double mean(Map<Integer, List<Double>> byBlock) {
        return mean(byBlock.values().stream().flatMap(List::stream).toList());
    }
}
