package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.recurrent.AddingTask;
import dev.gradsweep.recurrent.RecurrentNet;
import dev.gradsweep.recurrent.RecurrentSpec;
import dev.gradsweep.stats.TimeStepStats;
import dev.gradsweep.store.ResultTables;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recurrent runs through a real local sweep of the shipped reference grids (fewer steps: the claims are about step 0),
 * their timesteps table read back with Spark SQL, and the timestep_profile and memory views checked against the theory
 * and against the same numbers recomputed from the raw rows.
 */
class RecurrentSweepTest {
    static final double LN10 = Math.log(10);

    static Path shipped(Path tmp, String grid, int steps) throws Exception {
        String yaml =
                Files.readString(Path.of("conf/grids", grid + ".yaml")).replaceFirst("steps: \\d+", "steps: " + steps);
        Path g = tmp.resolve(grid + ".yaml");
        Files.writeString(g, yaml);
        // no compaction: the claims are about the rows, which SweepLocalTest shows compaction keeps
        SweepDriver.Summary s = SweepDriver.run(
                new SweepDriver.Options(
                        g.toString(), tmp.resolve("out").toString(), false, false, "local[2]", 0, true, false),
                new PrintStream(new ByteArrayOutputStream()));
        assertEquals(s.results().size(), s.count("ok"), "every run trains");
        return tmp.resolve("out");
    }

    static List<Row> rows(SparkSession spark, String q) {
        return spark.sql(q).collectAsList();
    }

    /**
     * Bengio et al. 1994 in the linear regime: per step back, ‖∂L/∂h_t‖ changes by ρ·E[tanh'], so the view's step-0
     * slope (×ln 10) is within 0.1 of ln ρ + ln √E[f'²], negative below ρ = 1 and positive above. The 0.1 and the
     * offset that is the same for every ρ (to 1e-3) are the library's reasoning (GradientThroughTimeTest): a random
     * matrix's transient gain is ‖G‖_F/√n, slightly below its spectral radius, and the backward map is linear in ρ.
     */
    @Test
    void bengio1994SlopeThroughTimeFollowsLnRho(@TempDir Path tmp) throws Exception {
        Path out = shipped(tmp, "bengio1994", 2);
        SparkSession spark = SweepLocalTest.spark();
        try {
            SqlViews.register(spark, out.toString());
            assertEquals(
                    5 * 2 * 10, SweepLocalTest.count(spark, "SELECT count(*) FROM timesteps"), "runs × steps × T rows");
            assertEquals(
                    5,
                    SweepLocalTest.count(
                            spark,
                            "SELECT count(*) FROM runs WHERE engine = 'recurrent' AND cell = 'rnn' "
                                    + "AND seq_len = 10 AND n_layers = 2 AND abs(loss_baseline - double(1) / 6) < 1e-15 AND forget_bias IS NULL "
                                    + "AND status = 'ok' AND steps_done = 2 AND loss_window = 1"));
            assertEquals(
                    5 * 2 * 5,
                    SweepLocalTest.count(spark, "SELECT count(*) FROM params"),
                    "W_x, W_h, b, output W, b per step");
            assertEquals(5 * 2, SweepLocalTest.count(spark, "SELECT count(*) FROM steps WHERE update_l2_total > 0"));
            double offset0 = Double.NaN;
            for (Row r : rows(
                    spark,
                    "SELECT r.rec_init, p.log10_slope_back, p.log10_rms_act_slope, p.run_id FROM timestep_profile p "
                            + "JOIN runs r USING (run_id) WHERE p.step = 0 AND p.layer = 0 ORDER BY r.rec_init")) {
                double rho = RecInit.parse(r.getString(0)).value, slope = LN10 * r.getDouble(1);
                double predicted = Math.log(rho) + LN10 * r.getDouble(2);
                assertEquals(predicted, slope, 0.1, r.getString(0));
                if (rho < 1) assertTrue(slope < 0, "vanishing below 1: " + slope);
                if (rho > 1) assertTrue(slope > 0, "exploding above 1: " + slope);
                if (Double.isNaN(offset0)) offset0 = slope - predicted;
                assertEquals(offset0, slope - predicted, 1e-3, "the deviation is the base matrix's, not ρ's");
                assertEquals(
                        leastSquaresSlopeBack(spark, r.getString(3)),
                        r.getDouble(1),
                        1e-9,
                        "regr_slope against the rows");
            }
            assertFalse(Double.isNaN(offset0), "five runs at step 0");
        } finally {
            spark.stop();
        }
    }

    /** The slope of log10 ‖∂L/∂h_t‖ over k = T−1−t at step 0, fitted here from the raw rows. */
    static double leastSquaresSlopeBack(SparkSession spark, String runId) {
        List<Row> rs = rows(
                spark,
                "SELECT t, grad_h_l2 FROM timesteps WHERE step = 0 AND layer = 0 AND run_id = '" + runId
                        + "' ORDER BY t");
        int n = rs.size();
        double sk = 0, sy = 0, skk = 0, sky = 0;
        for (Row r : rs) {
            double k = n - 1 - r.getInt(0), y = Math.log10(r.getDouble(1));
            sk += k;
            sy += y;
            skk += k * k;
            sky += k * y;
        }
        return (n * sky - sk * sy) / (n * skk - sk * sk);
    }

    /**
     * The vanilla RNN's vanishing gradient: tanh, orthogonal W_h, width 128, step 0: more than 10^4 from t = 99 to t = 0
     * at T = 100, less at T = 25; orthogonal W_h keeps norms, so ln(last/first) ≈ −Σ_{t≥1} ½ ln E[f'(z_t)²] (within 15 %, as
     * the library asserts). IRNN does not vanish (< 10× either way). The rows are the engine's own numbers: the written
     * ‖∂L/∂h_t‖ equal a RecurrentNet built from the same RunConfig (1e-12), and the memory horizon equals the one
     * counted here from the rows with vanish_ratio 1e-3.
     */
    @Test
    void vanishing100DropsBelowTenToTheFourAndTheMemoryHorizonCountsIt(@TempDir Path tmp) throws Exception {
        Path out = shipped(tmp, "vanishing100", 1);
        Map<String, RunConfig> byId = new HashMap<>();
        for (RunConfig rc : GridSpec.load(tmp.resolve("vanishing100.yaml")).expand()) byId.put(rc.runId, rc);
        SparkSession spark = SweepLocalTest.spark();
        try {
            SqlViews.register(spark, out.toString());
            List<Row> prof = rows(
                    spark,
                    "SELECT r.activation, r.seq_len, p.log10_last_over_first, m.memory_horizon, m.reaches_start, "
                            + "p.run_id FROM timestep_profile p JOIN memory m USING (run_id, step, layer) JOIN runs r USING (run_id) "
                            + "WHERE p.step = 0 ORDER BY r.activation, r.seq_len");
            assertEquals(4, prof.size());
            for (Row r : prof) {
                String act = r.getString(0), id = r.getString(5);
                int seqLen = r.getInt(1);
                double log10Drop = r.getDouble(2);
                List<Row> ts = rows(
                        spark,
                        "SELECT t, grad_h_l2, act_slope_sq_mean FROM timesteps WHERE step = 0 AND run_id = '" + id
                                + "' ORDER BY t");
                assertEquals(seqLen, ts.size());
                List<TimeStepStats> engine = stepZero(byId.get(id));
                for (int t = 0; t < seqLen; t++)
                    assertEquals(
                            engine.get(t).hGradL2(),
                            ts.get(t).getDouble(1),
                            1e-12 * engine.get(t).hGradL2(),
                            "t " + t);
                assertEquals(horizon(ts, 1e-3), r.getInt(3), act + " T " + seqLen);
                assertEquals(r.getInt(3) == seqLen, r.getBoolean(4));
                if (act.equals("tanh")) {
                    double predicted = 0;
                    for (int t = 1; t < seqLen; t++)
                        predicted -= 0.5 * Math.log(ts.get(t).getDouble(2));
                    assertEquals(predicted, LN10 * log10Drop, 0.15 * predicted, "the activation's share, T " + seqLen);
                    if (seqLen == 100) {
                        assertTrue(log10Drop > 4, "drop 10^" + log10Drop);
                        assertTrue(r.getInt(3) < 100, "vanishes within the sequence");
                    } else assertTrue(log10Drop < 4, "T = 25: 10^" + log10Drop);
                } else assertTrue(Math.abs(log10Drop) < 1, "IRNN at T " + seqLen + ": 10^" + log10Drop);
            }
        } finally {
            spark.stop();
        }
    }

    static List<TimeStepStats> stepZero(RunConfig rc) {
        AddingTask task = new AddingTask();
        RecurrentNet net = new RecurrentNet(RecurrentSpec.of(rc, task), rc.train.batch);
        double[] x = new double[rc.seqLen * rc.train.batch * task.inputs()], y = new double[rc.train.batch];
        task.fill(rc.seed, 0, rc.train.batch, rc.seqLen, x, y);
        net.setBatch(x, y);
        net.computeGradient(true);
        List<TimeStepStats> out = new ArrayList<>(net.timeSteps());
        out.sort((a, b) -> Integer.compare(a.t(), b.t()));
        return out;
    }

    /** Steps back from the last time step until ‖∂L/∂h_t‖ falls below ratio × the last one's; T if it never does. */
    static int horizon(List<Row> byT, double ratio) {
        int n = byT.size();
        double last = byT.get(n - 1).getDouble(1);
        for (int k = 0; k < n; k++) if (byT.get(n - 1 - k).getDouble(1) < ratio * last) return k;
        return n;
    }

    /**
     * A recurrent run that cannot start is a failed row with its message, one whose gradient overflows is diverged at
     * that step (its update not applied: null), and feed-forward runs in the same output have no timesteps rows.
     */
    /** One run trained by the executor and its files committed, as the driver does for a task. */
    static RunResult runAndCommit(ResultTables out, RunConfig rc) {
        RunExecutor.Result r = RunExecutor.run(rc, null, out.layout(), 0, 1);
        out.commit(r.files(), rc.runId);
        return r.runs().get(0);
    }

    @Test
    void failedAndDivergedRecurrentRunsAreRows(@TempDir Path tmp) throws Exception {
        ResultTables out = FixtureSweeps.newOutput(tmp.toString());
        TaskSpec adding =
                new TaskSpec(TaskSpec.Kind.ADDING, 0, 0, 0, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TaskSpec teacher =
                new TaskSpec(TaskSpec.Kind.TEACHER, 4, 1, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TrainSpec train = new TrainSpec(5, 8, TrainSpec.Optimizer.SGD, 0.01, "none", TrainSpec.DType.FLOAT32);
        // no grid accepts a recurrent cell with a feed-forward task; built directly, the executor records the failure
        RunConfig bad = new RunConfig(
                "t",
                1,
                4,
                Activation.TANH,
                Init.parse("xavier"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                Cell.RNN,
                10,
                RecInit.parse("orthogonal"),
                teacher,
                train,
                1);
        RunResult f = runAndCommit(out, bad);
        assertEquals("failed", f.status());
        assertTrue(f.error().contains("not a sequence task"), f.error());
        // relu with spectral radius 3 over 100 steps: h and the gradient grow like 3^100 > float32's 3.4e38
        RunConfig wild = new RunConfig(
                "t",
                1,
                16,
                Activation.RELU,
                Init.parse("xavier"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                Cell.RNN,
                100,
                RecInit.parse("spectral:3"),
                adding,
                train,
                1);
        RunResult d = runAndCommit(out, wild);
        assertEquals("diverged", d.status());
        RunConfig plain = new RunConfig(
                "t",
                2,
                4,
                Activation.TANH,
                Init.parse("xavier"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                teacher,
                train,
                1);
        assertEquals("ok", runAndCommit(out, plain).status());
        assertEquals(Set.of(bad.runId, wild.runId, plain.runId), out.committedRuns());
        SparkSession spark = SweepLocalTest.spark();
        try {
            SqlViews.registerTableViews(spark, tmp.toString());
            assertEquals(
                    1,
                    SweepLocalTest.count(
                            spark,
                            "SELECT count(*) FROM runs WHERE status = 'failed' AND engine = 'recurrent' "
                                    + "AND steps_done = 0 AND loss_baseline IS NULL AND run_id = '" + bad.runId + "'"));
            List<Row> w = rows(
                    spark,
                    "SELECT steps_done, error, loss_baseline, rec_init, seq_len FROM runs WHERE run_id = '" + wild.runId
                            + "'");
            int done = w.get(0).getInt(0);
            assertTrue(done >= 1 && done < 5, "stopped early at " + done);
            assertTrue(w.get(0).getString(1).startsWith("non-finite"), w.get(0).getString(1));
            assertEquals("spectral:3", w.get(0).getString(3));
            assertEquals(100, w.get(0).getInt(4));
            assertEquals(
                    1,
                    SweepLocalTest.count(
                            spark,
                            "SELECT count(*) FROM steps WHERE run_id = '" + wild.runId + "' AND step = " + (done - 1)
                                    + " AND update_l2_total IS NULL"));
            assertEquals(
                    (long) done * 100,
                    SweepLocalTest.count(spark, "SELECT count(*) FROM timesteps WHERE run_id = '" + wild.runId + "'"));
            assertEquals(
                    0,
                    SweepLocalTest.count(spark, "SELECT count(*) FROM timesteps WHERE run_id = '" + plain.runId + "'"));
            assertEquals(
                    1,
                    SweepLocalTest.count(
                            spark,
                            "SELECT count(*) FROM runs WHERE run_id = '" + plain.runId
                                    + "' AND cell = 'none' AND seq_len IS NULL AND rec_init = 'n/a' AND engine = 'dl4j'"));
            assertEquals(3, SweepLocalTest.count(spark, "SELECT count(*) FROM runs"));
        } finally {
            spark.stop();
        }
    }
}
