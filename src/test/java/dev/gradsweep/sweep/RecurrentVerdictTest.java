package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.analysis.StoredStalls;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.store.ResultTables;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verdicts of recurrent runs, judged through time: four tiny runs trained by the sweep's executor and committed, then
 * read through the verdicts view. The labels are fixed by theory before the run: a tanh RNN in its linear regime
 * (input weights normal:1e-4) multiplies ‖∂L/∂h_t‖ by about ρ per step back, so spectral:0.5 over T = 30 falls below
 * 1e-3 of the last step's within ~10 steps (vanishing) and spectral:1.5 grows by a little less than 1.5 per step back
 * over 29 steps, above 10^3 (at most 1.5^29 ≈ 10^5; exploding; a small random matrix's transient gain sits below its
 * radius, GradientThroughTimeTest; lr so small nothing moves); ClippingTest's unclipped spectral:1.5 run goes
 * non-finite (diverged); an LSTM on a short adding problem learns (healthy).
 */
class RecurrentVerdictTest {
    static final TaskSpec ADDING =
            new TaskSpec(TaskSpec.Kind.ADDING, 0, 0, 0, TaskSpec.Objective.REGRESSION, null, null, List.of());

    static RunConfig rnn(String rec, String init, int width, int seqLen, TrainSpec train) {
        return new RunConfig(
                "rv",
                1,
                width,
                Activation.TANH,
                Init.parse(init),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                Cell.RNN,
                seqLen,
                RecInit.parse(rec),
                ADDING,
                train,
                1);
    }

    @Test
    void recurrentRunsAreJudgedThroughTime(@TempDir Path tmp) {
        TrainSpec still = new TrainSpec(3, 16, TrainSpec.Optimizer.SGD, 1e-6, "none", TrainSpec.DType.FLOAT64);
        RunConfig vanish = rnn("spectral:0.5", "normal:0.0001", 16, 30, still);
        RunConfig explode = rnn("spectral:1.5", "normal:0.0001", 16, 30, still);
        // ClippingTest's unclipped run: non-finite at step 51 of 60
        RunConfig diverge = rnn(
                "spectral:1.5",
                "xavier",
                24,
                30,
                new TrainSpec(60, 16, TrainSpec.Optimizer.SGD, 0.1, "none", TrainSpec.DType.FLOAT32));
        RunConfig lstm = new RunConfig(
                "rv",
                1,
                16,
                Activation.TANH,
                Init.parse("xavier"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                Cell.LSTM,
                8,
                RecInit.parse("orthogonal"),
                ADDING,
                new TrainSpec(300, 32, TrainSpec.Optimizer.ADAM, 0.02, "norm:1", TrainSpec.DType.FLOAT32),
                1);
        ResultTables out = FixtureSweeps.newOutput(tmp.toString());
        for (RunConfig rc : List.of(vanish, explode, diverge, lstm)) RecurrentSweepTest.runAndCommit(out, rc);
        SparkSession spark = SweepLocalTest.spark();
        try {
            // recurrent layers: W_x and W_h, no layers rows
            assertTrue(StoredStalls.assertMatchComputed(spark, tmp.toString()) > 0);
            SqlViews.register(spark, tmp.toString());
            Map<String, Row> v = new HashMap<>();
            for (Row r : spark.sql("SELECT run_id, verdict, reason, try, try_from, memory_horizon, log10_slope_back, "
                            + "log10_last_over_first, seq_len, gap_closed, log10_delta_in, log10_act_out, stall_layer, "
                            + "slope_delta, dead_frac, cell FROM verdicts")
                    .collectAsList()) {
                v.put(r.getString(0), r);
                System.out.println(
                        r.getString(15) + " " + r.getString(1) + ": " + r.getString(2) + " | try " + r.getString(3));
                for (int i = 10; i <= 14; i++) assertTrue(r.isNullAt(i), "no depth evidence for a recurrent run");
            }
            assertEquals(4, v.size());

            Row a = v.get(vanish.runId);
            assertEquals("vanishing", a.getString(1), a.getString(2));
            int horizon = a.getInt(5);
            assertTrue(horizon < 30, "the gradient falls below 1e-3 within the sequence: " + horizon);
            assertEquals(horizon, medianHorizon(spark, vanish.runId), "the median over steps of memory");
            assertTrue(a.getDouble(6) < 0, "decays going back");
            assertTrue(a.getString(2).contains("memory horizon " + horizon + " of T = 30"), a.getString(2));
            assertEquals("textbook", a.getString(4));
            assertTrue(a.getString(3).startsWith("cell: lstm or gru"), a.getString(3));

            Row b = v.get(explode.runId);
            assertEquals("exploding", b.getString(1), b.getString(2));
            assertTrue(-b.getDouble(7) > 3, "‖∂L/∂h_0‖ / ‖∂L/∂h_29‖ = 10^" + -b.getDouble(7));
            assertTrue(b.getDouble(6) > 0, "grows going back");
            assertEquals(30, b.getInt(5), "a growing gradient never falls below the last step's");
            assertTrue(b.getString(3).startsWith("clip: norm:1"), b.getString(3));

            Row c = v.get(diverge.runId);
            assertEquals("diverged", c.getString(1), c.getString(2));
            assertTrue(c.getString(2).startsWith("the loss or a gradient became non-finite"), c.getString(2));

            Row d = v.get(lstm.runId);
            assertEquals("healthy", d.getString(1), d.getString(2));
            assertTrue(d.getDouble(9) >= 0.1, "learns: gap closed " + d.getDouble(9));
            assertEquals(8, d.getInt(5), "the gradient reaches t = 0");
            assertNull(d.get(3), "no advice for a healthy run");
            assertNotNull(d.get(6));
        } finally {
            spark.stop();
        }
    }

    /** memory_horizon of layer 0 at every step, median as percentile_approx takes it (the lower middle value). */
    static int medianHorizon(SparkSession spark, String runId) {
        List<Integer> h = spark
                .sql("SELECT memory_horizon FROM memory WHERE layer = 0 AND run_id = '" + runId
                        + "' ORDER BY memory_horizon")
                .collectAsList()
                .stream()
                .map(r -> r.getInt(0))
                .toList();
        return h.get((h.size() - 1) / 2);
    }
}
