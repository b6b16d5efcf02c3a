package dev.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
 * The report of a sweep of recurrent runs only: its through-time section (evidence table, gradient flow across time
 * steps, time step × training step heat maps) in place of the per-layer plots, with the plotted values and the table's
 * numbers taken from the timesteps table and the verdicts view.
 */
class RecurrentReportTest {
    static final String GRID = String.join(
            "\n",
            "name: rec-report-test",
            "task: {kind: adding}",
            "train: {steps: 4, batch: 8, optimizer: sgd, lr: 1e-6, dtype: float64}",
            "seeds: [1]",
            "axes:",
            "  cell: [rnn]",
            "  depth: [1]",
            "  width: [8]",
            "  activation: [tanh]",
            "  init: ['normal:0.0001']",
            "  seq_len: [12]",
            "  rec_init: ['spectral:0.5', 'spectral:1.5']",
            "");

    @Test
    void aRecurrentSweepsReportDrawsGradientsThroughTimeFromTheTable(@TempDir Path tmp) throws Exception {
        ReportTest.Written w = ReportTest.sweepAndReport(tmp, GRID);
        SparkSession spark = w.spark();
        try {
            Report.Summary s = w.summary();
            String md = w.md();
            Set<String> written = w.plots();
            // no per-layer plots for recurrent runs: two flows through time, one heat map per run, loss by rec_init
            assertEquals(
                    Set.of(
                            "time_flow_step0.png",
                            "time_flow_last.png",
                            "heat_time_1.png",
                            "heat_time_2.png",
                            "loss_by_rec_init.png"),
                    written);

            // the evidence table's numbers are the verdicts view's
            assertTrue(md.contains("## Through time: recurrent runs"), md);
            Map<String, String> config = new LinkedHashMap<>();
            for (Row v : spark.sql("SELECT run_id, rec_init, verdict, memory_horizon, seq_len FROM verdicts")
                    .collectAsList()) {
                config.put(v.getString(0), v.getString(1));
                String row = "| " + v.getString(1) + " | 1 | **" + v.getString(2) + "** | 12 | " + v.getInt(3) + " | ";
                assertTrue(md.contains(row), row + " in\n" + md);
            }
            assertEquals(2, config.size());
            assertTrue(
                    s.findings().stream().anyMatch(f -> f.startsWith("The shortest memory: spectral:0.5 (seed 1, ")),
                    s.findings().toString());
            assertTrue(
                    s.findings().stream()
                            .anyMatch(f -> f.startsWith("The strongest growth through time: spectral:1.5 (seed 1, ")),
                    s.findings().toString());
            for (String f : s.findings()) assertTrue(md.contains(f), f);

            // the plotted lines are log10 ‖∂L/∂h_t‖ of layer 0 at t = 0 … 11 (one seed: the geometric mean is the
            // value)
            Map<String, TreeMap<Integer, double[]>> flow =
                    TimePlots.flow(spark, List.of("0"), config).get("0");
            for (Row r : spark.sql("SELECT run_id, t, grad_h_l2 FROM timesteps WHERE step = 0 AND layer = 0")
                    .collectAsList()) {
                double[] acc = flow.get(config.get(r.getString(0))).get(r.getInt(1));
                assertEquals(1, acc[1]);
                assertEquals(Math.log10(r.getDouble(2)), acc[0], 1e-12);
            }
            assertEquals(12, flow.get("spectral:0.5").size(), "one point per time step");
        } finally {
            spark.stop();
        }
    }
}
