package dev.gradsweep.sweep;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.store.OutputDir;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real local-mode Spark sweep, its Parquet tables read back with Spark SQL, resume and retries. */
class SweepLocalTest {
    static final int STEPS = 6;
    static final String GRID = String.join("\n",
            "name: local-test",
            "task: {kind: teacher, inputs: 5, samples: 64}",
            "train: {steps: " + STEPS + ", batch: 16, optimizer: adam, lr: 0.01, dtype: float32}",
            "seeds: [1, 2]",
            "axes:",
            "  depth: [3]",
            "  width: [6]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier]", "");

    static SweepDriver.Summary sweep(Path grid, Path out, boolean resume) throws Exception {
        return SweepDriver.run(new SweepDriver.Options(grid.toString(), out.toString(), resume, false, "local[2]", 0),
                new PrintStream(new ByteArrayOutputStream()));
    }

    static SparkSession spark() {
        return SparkSession.builder().master("local[1]").appName("test").config("spark.ui.enabled", "false").getOrCreate();
    }

    static long count(SparkSession s, String q) {
        return s.sql(q).collectAsList().get(0).getLong(0);
    }

    @Test
    void sweepWritesEveryStepOfEveryRunAndResumeTrainsOnlyWhatIsMissing(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("g.yaml");
        Files.writeString(grid, GRID);
        Path out = tmp.resolve("out");
        SweepDriver.Summary s = sweep(grid, out, false);
        assertEquals(4, s.results().size());
        assertEquals(4, s.count("ok"));
        List<String> ids = GridSpec.load(grid).expand().stream().map(r -> r.runId).sorted().collect(Collectors.toList());
        assertEquals(Set.copyOf(ids), new OutputDir(out.toString()).committedRuns());
        assertFalse(Files.exists(out.resolve("_staging")), "staging is cleaned after the sweep");

        SparkSession spark = spark();
        try {
            SqlViews.register(spark, out.toString());
            assertEquals(4, count(spark, "SELECT count(*) FROM runs WHERE status = 'ok' AND steps_done = " + STEPS));
            assertEquals(4L * STEPS, count(spark, "SELECT count(*) FROM steps"));
            // provenance: the test JVM runs the CPU backend with the Vector API module (pom argLine), built from git
            assertEquals(4, count(spark, "SELECT count(*) FROM runs WHERE gradsweep_version RLIKE '^[0-9]+\\\\.[0-9]+\\\\.[0-9]+' "
                    + "AND git_commit RLIKE '^[0-9a-f]{7,}(-dirty)?$' AND nd4j_backend = 'CpuBackend' "
                    + "AND nd4j_version RLIKE '^1\\\\.0\\\\.0' AND stats_path = 'simd'"));
            // 3 hidden layers + output, W and b each: 8 arrays per step, hidden layers' activations per step
            assertEquals(4L * STEPS * 8, count(spark, "SELECT count(*) FROM params"));
            assertEquals(4L * STEPS * 3, count(spark, "SELECT count(*) FROM layers"));
            assertEquals(0, count(spark, "SELECT count(*) FROM (SELECT run_id, step FROM steps GROUP BY run_id, step HAVING count(*) > 1)"));
            assertEquals(0, count(spark, "SELECT count(*) FROM params WHERE NOT (grad_l2 > 0 AND update_l2 > 0)"));
            // biases start at 0 (param_l2 = 0 at step 0 only); weights never are
            assertEquals(4L * 4, count(spark, "SELECT count(*) FROM params WHERE param_l2 = 0"));
            assertEquals(4L * 4, count(spark, "SELECT count(*) FROM params WHERE param_l2 = 0 AND param = 'b' AND step = 0"));
            assertEquals(0, count(spark, "SELECT count(*) FROM layers l JOIN runs r USING (run_id) WHERE r.activation = 'sigmoid' AND act_saturated_frac IS NULL"));
            assertEquals(0, count(spark, "SELECT count(*) FROM layers l JOIN runs r USING (run_id) WHERE r.activation = 'relu' AND act_saturated_frac IS NOT NULL"));
            // the per-step total is the L2 over every parameter array of that step
            assertEquals(0, count(spark, "SELECT count(*) FROM steps s JOIN (SELECT run_id, step, sqrt(sum(grad_l2 * grad_l2)) AS t FROM params GROUP BY run_id, step) p "
                    + "USING (run_id, step) WHERE abs(s.grad_l2_total - p.t) > 1e-9 * p.t"));
        } finally {
            spark.stop();
        }

        // Earlier results are never overwritten without --resume / --overwrite.
        FileTime before = Files.getLastModifiedTime(out.resolve("runs/" + ids.get(0) + ".parquet"));
        assertTrue(assertThrows(BadInputException.class, () -> sweep(grid, out, false)).getMessage().contains("--resume"));
        assertEquals(before, Files.getLastModifiedTime(out.resolve("runs/" + ids.get(0) + ".parquet")));

        // Interrupted sweep: one run lost its commit marker (the runs file) and left staging debris behind.
        Files.delete(out.resolve("runs/" + ids.get(1) + ".parquet"));
        Files.createDirectories(out.resolve("_staging/" + ids.get(1) + "/0"));
        Files.writeString(out.resolve("_staging/" + ids.get(1) + "/0/steps.parquet"), "partial");
        SweepDriver.Summary r = sweep(grid, out, true);
        assertEquals(1, r.results().size(), "resume trains only the uncommitted run");
        assertEquals(ids.get(1), r.results().get(0).runId());
        assertEquals(3, r.skipped());
        assertEquals(before, Files.getLastModifiedTime(out.resolve("runs/" + ids.get(0) + ".parquet")), "committed runs untouched");

        // A retried task attempt of an already committed run replaces its files whole.
        RunConfig again = GridSpec.load(grid).expand().stream().filter(x -> x.runId.equals(ids.get(2))).findFirst().orElseThrow();
        RunExecutor.run(again, null, new OutputDir(out.toString()), 1, 1);

        spark = spark();
        try {
            SqlViews.register(spark, out.toString());
            assertEquals(4, count(spark, "SELECT count(*) FROM runs"));
            assertEquals(4L * STEPS, count(spark, "SELECT count(*) FROM steps"));
            assertEquals(4L * STEPS * 8, count(spark, "SELECT count(*) FROM params"));
            Row retried = spark.sql("SELECT attempt FROM runs WHERE run_id = '" + ids.get(2) + "'").collectAsList().get(0);
            assertEquals(1, retried.getInt(0));
        } finally {
            spark.stop();
        }
    }

    @Test
    void stackedSweepRecordsWhatTheOneByOneSweepRecords(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("s.yaml");
        Files.writeString(grid, String.join("\n", "name: stack-test", "task: {kind: teacher, inputs: 5, samples: 64}",
                // Adam with warmup and norm clipping: per-run state, lr schedule and clip scale inside one stack
                "train: {steps: 4, batch: 16, optimizer: adam, clip: 'norm:0.05', warmup: 2, dtype: float64}", "seeds: [1, 2, 3, 4, 5]",
                "axes: {depth: [3], width: [6], activation: [tanh], init: [xavier], lr: [0.01, 0.005]}", ""));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        SweepDriver.Summary stacked = SweepDriver.run(new SweepDriver.Options(grid.toString(), tmp.resolve("a").toString(), false, false, "local[2]", 0, true), quiet);
        SweepDriver.Summary single = SweepDriver.run(new SweepDriver.Options(grid.toString(), tmp.resolve("b").toString(), false, false, "local[2]", 0, false), quiet);
        assertEquals(10, stacked.count("ok"));
        assertEquals(10, single.count("ok"));
        SparkSession spark = spark();
        try {
            spark.read().parquet(tmp.resolve("a/runs").toString()).createOrReplaceTempView("ra");
            spark.read().parquet(tmp.resolve("b/runs").toString()).createOrReplaceTempView("rb");
            spark.read().parquet(tmp.resolve("a/params").toString()).createOrReplaceTempView("pa");
            spark.read().parquet(tmp.resolve("b/params").toString()).createOrReplaceTempView("pb");
            spark.read().parquet(tmp.resolve("a/steps").toString()).createOrReplaceTempView("sa");
            spark.read().parquet(tmp.resolve("b/steps").toString()).createOrReplaceTempView("sb");
            // local[2]: stacks of ceil(10 / (2 x 2)) = 3 keep both cores busy: 3 + 3 + 3 stacked, the last run alone
            assertEquals(9, count(spark, "SELECT count(*) FROM ra WHERE engine = 'stacked:3'"));
            assertEquals(1, count(spark, "SELECT count(*) FROM ra WHERE engine = 'dl4j'"));
            assertEquals(10, count(spark, "SELECT count(*) FROM rb WHERE engine = 'dl4j'"));
            assertEquals(10L * 4 * 8, count(spark, "SELECT count(*) FROM pa"));
            assertEquals(10L * 4 * 8, count(spark, "SELECT count(*) FROM pb JOIN pa USING (run_id, step, layer, param) "
                    + "WHERE abs(pa.grad_l2 - pb.grad_l2) <= 1e-9 * pb.grad_l2 AND abs(pa.update_l2 - pb.update_l2) <= 1e-9 * pb.update_l2"));
            assertEquals(10L * 4, count(spark, "SELECT count(*) FROM sb JOIN sa USING (run_id, step) WHERE sa.lr = sb.lr "
                    + "AND abs(sa.update_l2_total - sb.update_l2_total) <= 1e-9 * sb.update_l2_total AND abs(sa.loss - sb.loss) <= 1e-9 * sb.loss"));
            assertEquals(10, count(spark, "SELECT count(*) FROM sa WHERE step = 0 AND lr < 0.01 * 0.5 + 1e-12"), "warmup halves step 0's lr");
            assertTrue(count(spark, "SELECT count(*) FROM sb WHERE grad_l2_total > 0.05") > 0, "the test needs gradients above the clip norm");
        } finally {
            spark.stop();
        }
    }

    @Test
    void aRunThatThrowsIsRecordedAsFailedAndADivergingRunAsDiverged(@TempDir Path tmp) throws Exception {
        OutputDir out = new OutputDir(tmp.toString());
        TaskSpec task = new TaskSpec(TaskSpec.Kind.GAUSS, 4, 1, 8, TaskSpec.Objective.REGRESSION, null, null, List.of());
        // batch > samples passes no grid (it is validated) but makes the data loader throw inside the task
        RunConfig bad = new RunConfig("t", 2, 4, Activation.RELU, Init.parse("he"), Norm.NONE, Placement.NA, Skip.NONE, task,
                new TrainSpec(5, 16, TrainSpec.Optimizer.SGD, 0.1, "none", TrainSpec.DType.FLOAT32), 1);
        RunResult f = RunExecutor.run(bad, null, out, 0, 1);
        assertEquals("failed", f.status());
        assertTrue(f.error().contains("batch 16"), f.error());
        RunConfig wild = new RunConfig("t", 4, 16, Activation.RELU, Init.parse("constant:3"), Norm.NONE, Placement.NA, Skip.NONE, task,
                new TrainSpec(50, 8, TrainSpec.Optimizer.SGD, 50, "none", TrainSpec.DType.FLOAT32), 1);
        RunResult d = RunExecutor.run(wild, null, out, 0, 1);
        assertEquals("diverged", d.status());
        assertTrue(d.stepsDone() < 50);
        assertEquals(Set.of(bad.runId, wild.runId), out.committedRuns());
        SparkSession spark = spark();
        try {
            SqlViews.register(spark, tmp.toString());
            assertEquals(d.stepsDone(), count(spark, "SELECT count(*) FROM steps WHERE run_id = '" + wild.runId + "'"));
            assertEquals(1, count(spark, "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE '%batch 16%'"));
        } finally {
            spark.stop();
        }
    }
}
