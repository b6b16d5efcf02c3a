package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.OutputLock;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import dev.gradsweep.store.TaskFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real local-mode Spark sweep, its Iceberg tables read back with Spark SQL, resume after a kill, retries, a concurrent sweep. */
class SweepLocalTest {
    static final int STEPS = 6;
    static final String GRID = String.join(
            "\n",
            "name: local-test",
            "task: {kind: teacher, inputs: 5, samples: 64}",
            "train: {steps: " + STEPS + ", batch: 16, optimizer: adam, lr: 0.01, dtype: float32}",
            "seeds: [1, 2]",
            "axes:",
            "  depth: [3]",
            "  width: [6]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier]",
            "");

    static SweepDriver.Summary sweep(Path grid, Path out, boolean resume) throws Exception {
        return SweepDriver.run(
                new SweepDriver.Options(grid.toString(), out.toString(), resume, false, "local[2]", 0),
                new PrintStream(new ByteArrayOutputStream()));
    }

    static SparkSession spark() {
        return SparkSession.builder()
                .master("local[1]")
                .appName("test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    static long count(SparkSession s, String q) {
        return s.sql(q).collectAsList().get(0).getLong(0);
    }

    static Set<String> committed(Path out) {
        return ResultTables.open(new OutputDir(out.toString())).committedRuns();
    }

    /** Every data file under the tables' locations, as file: URIs (what Iceberg's metadata references). */
    static Set<String> dataFiles(Path out) throws IOException {
        try (Stream<Path> s = Files.walk(out)) {
            return s.filter(p -> p.getParent().getFileName().toString().equals("data")
                            && p.toString().endsWith(".parquet"))
                    .map(p -> "file:" + p.toAbsolutePath())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** The data files the tables' current snapshots reference. */
    static Set<String> referenced(Path out) throws IOException {
        ResultTables t = ResultTables.open(new OutputDir(out.toString()));
        Set<String> files = new TreeSet<>();
        for (Table table : Table.values())
            try (var tasks = t.table(table).newScan().planFiles()) {
                for (var f : tasks) files.add(f.file().location());
            }
        return files;
    }

    @Test
    void sweepWritesEveryStepOfEveryRunAndResumeTrainsOnlyWhatIsMissing(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("g.yaml");
        Files.writeString(grid, GRID);
        Path out = tmp.resolve("out");
        SweepDriver.Summary s = sweep(grid, out, false);
        assertEquals(4, s.results().size());
        assertEquals(4, s.count("ok"));
        List<String> ids =
                GridSpec.load(grid).expand().stream().map(r -> r.runId).sorted().collect(Collectors.toList());
        assertEquals(Set.copyOf(ids), committed(out));
        assertFalse(OutputLock.held(new OutputDir(out.toString())), "the lock is released after the sweep");
        assertEquals(referenced(out), dataFiles(out), "no unreferenced data files after the sweep");
        // feed-forward runs write no timesteps or attention rows: those tables stay without data files
        for (Table t : Table.values())
            assertEquals(
                    t == Table.TIMESTEPS || t == Table.ATTENTION ? 0 : 1,
                    s.compaction().filesAfter(t),
                    t + " compacted into one file");

        SparkSession spark = spark();
        try {
            SqlViews.registerTableViews(spark, out.toString());
            assertEquals(4, count(spark, "SELECT count(*) FROM runs WHERE status = 'ok' AND steps_done = " + STEPS));
            assertEquals(4L * STEPS, count(spark, "SELECT count(*) FROM steps"));
            // provenance: the test JVM runs the CPU backend with the Vector API module (pom argLine), built from git
            assertEquals(
                    4,
                    count(
                            spark,
                            "SELECT count(*) FROM runs WHERE gradsweep_version RLIKE '^[0-9]+\\\\.[0-9]+\\\\.[0-9]+' "
                                    + "AND git_commit RLIKE '^[0-9a-f]{7,}(-dirty)?$' AND nd4j_backend = 'CpuBackend' "
                                    + "AND nd4j_version RLIKE '^1\\\\.0\\\\.0' AND stats_path = 'simd'"));
            // 3 hidden layers + output, W and b each: 8 arrays per step, hidden layers' activations per step
            assertEquals(4L * STEPS * 8, count(spark, "SELECT count(*) FROM params"));
            assertEquals(4L * STEPS * 3, count(spark, "SELECT count(*) FROM layers"));
            assertEquals(
                    0,
                    count(
                            spark,
                            "SELECT count(*) FROM (SELECT run_id, step FROM steps GROUP BY run_id, step HAVING count(*) > 1)"));
            assertEquals(0, count(spark, "SELECT count(*) FROM params WHERE NOT (grad_l2 > 0 AND update_l2 > 0)"));
            // biases start at 0 (param_l2 = 0 at step 0 only); weights never are
            assertEquals(4L * 4, count(spark, "SELECT count(*) FROM params WHERE param_l2 = 0"));
            assertEquals(
                    4L * 4,
                    count(spark, "SELECT count(*) FROM params WHERE param_l2 = 0 AND param = 'b' AND step = 0"));
            assertEquals(
                    0,
                    count(
                            spark,
                            "SELECT count(*) FROM layers l JOIN runs r USING (run_id) WHERE r.activation = 'sigmoid' AND act_saturated_frac IS NULL"));
            assertEquals(
                    0,
                    count(
                            spark,
                            "SELECT count(*) FROM layers l JOIN runs r USING (run_id) WHERE r.activation = 'relu' AND act_saturated_frac IS NOT NULL"));
            // the per-step total is the L2 over every parameter array of that step
            assertEquals(
                    0,
                    count(
                            spark,
                            "SELECT count(*) FROM steps s JOIN (SELECT run_id, step, sqrt(sum(grad_l2 * grad_l2)) AS t FROM params GROUP BY run_id, step) p "
                                    + "USING (run_id, step) WHERE abs(s.grad_l2_total - p.t) > 1e-9 * p.t"));
        } finally {
            spark.stop();
        }

        // Earlier results are never overwritten without --resume / --overwrite.
        long snapshot = ResultTables.open(new OutputDir(out.toString()))
                .table(Table.RUNS)
                .currentSnapshot()
                .snapshotId();
        assertTrue(assertThrows(BadInputException.class, () -> sweep(grid, out, false))
                .getMessage()
                .contains("--resume"));
        assertEquals(
                snapshot,
                ResultTables.open(new OutputDir(out.toString()))
                        .table(Table.RUNS)
                        .currentSnapshot()
                        .snapshotId());

        // A killed sweep of a larger grid (seed 3 added): it left its lock behind, committed one batch's steps, params
        // and
        // layers but not its runs rows (run a), and wrote files for run b that it never committed.
        Path grid3 = tmp.resolve("g3.yaml");
        Files.writeString(grid3, GRID.replace("seeds: [1, 2]", "seeds: [1, 2, 3]"));
        List<RunConfig> added = GridSpec.load(grid3).expand().stream()
                .filter(r -> !ids.contains(r.runId))
                .collect(Collectors.toList());
        assertEquals(2, added.size());
        ResultTables tables = ResultTables.open(new OutputDir(out.toString()));
        List<TaskFile> half = RunExecutor.run(added.get(0), null, tables.layout(), 0, 1).files().stream()
                .filter(f -> f.table() != Table.RUNS)
                .collect(Collectors.toList());
        tables.commit(half, "killed-batch");
        List<TaskFile> never =
                RunExecutor.run(added.get(1), null, tables.layout(), 0, 1).files();
        // an older gradsweep's lock, left by a driver killed on this host: taken over at once
        long gone = new ProcessBuilder("true").start().onExit().get().pid();
        Path lock = Files.writeString(
                out.resolve(OutputLock.NAME),
                "sweep g by " + java.net.InetAddress.getLocalHost().getHostName() + " pid " + gone + " since "
                        + java.time.Instant.now() + "\n");
        Files.setLastModifiedTime(lock, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        assertEquals(Set.copyOf(ids), committed(out), "half a batch commits no run");

        SweepDriver.Summary r = sweep(grid3, out, true);
        assertEquals(
                Set.of(added.get(0).runId, added.get(1).runId),
                r.results().stream().map(RunResult::runId).collect(Collectors.toSet()),
                "resume trains exactly the uncommitted runs");
        assertEquals(4, r.skipped());
        for (TaskFile f : never)
            assertFalse(
                    Files.exists(Path.of(URI.create(f.file().location()))),
                    "uncommitted file removed: " + f.file().location());
        for (TaskFile f : half)
            assertFalse(
                    Files.exists(Path.of(URI.create(f.file().location()))),
                    "file of the half batch removed: " + f.file().location());
        assertEquals(referenced(out), dataFiles(out));

        spark = spark();
        try {
            SqlViews.registerTableViews(spark, out.toString());
            assertEquals(6, count(spark, "SELECT count(*) FROM runs"));
            assertEquals(6L * STEPS, count(spark, "SELECT count(*) FROM steps"));
            assertEquals(6L * STEPS * 8, count(spark, "SELECT count(*) FROM params"));
            assertEquals(6L * STEPS * 3, count(spark, "SELECT count(*) FROM layers"));
            assertEquals(
                    0,
                    count(
                            spark,
                            "SELECT count(*) FROM (SELECT run_id, step, layer, param FROM params GROUP BY 1, 2, 3, 4 HAVING count(*) > 1)"));
        } finally {
            spark.stop();
        }
    }

    @Test
    void aFailedTaskAttemptIsRetriedAndOnlyTheSuccessfulAttemptIsCommitted(@TempDir Path tmp) throws Exception {
        Path grid = Files.writeString(tmp.resolve("g.yaml"), GRID);
        Path out = tmp.resolve("out");
        List<RunConfig> runs = GridSpec.load(grid).expand();
        // --no-stack: one run per task; the task of the first run fails after writing its files, on its first attempt
        System.setProperty(RunExecutor.FAIL_FIRST_ATTEMPT, runs.get(0).runId);
        try {
            SweepDriver.run(
                    new SweepDriver.Options(
                            grid.toString(), out.toString(), false, false, "local[2,2]", 0, false, false),
                    new PrintStream(new ByteArrayOutputStream()));
        } finally {
            System.clearProperty(RunExecutor.FAIL_FIRST_ATTEMPT);
        }
        assertEquals(runs.stream().map(x -> x.runId).collect(Collectors.toSet()), committed(out));
        assertEquals(referenced(out), dataFiles(out), "the failed attempt's files are removed");
        // no compaction: one file per task and table with rows (runs, steps, params, layers, layer_stalls; these
        // feed-forward runs have no timesteps), four tasks
        assertEquals(5 * 4, referenced(out).size());
        SparkSession spark = spark();
        try {
            SqlViews.registerTableViews(spark, out.toString());
            assertEquals(
                    1,
                    count(spark, "SELECT CAST(attempt AS BIGINT) FROM runs WHERE run_id = '" + runs.get(0).runId + "'"),
                    "the retry's row");
            assertEquals(4L * STEPS, count(spark, "SELECT count(*) FROM steps"));
            assertEquals(STEPS, count(spark, "SELECT count(*) FROM steps WHERE run_id = '" + runs.get(0).runId + "'"));
        } finally {
            spark.stop();
        }
    }

    @Test
    void aSecondSweepOfTheSameOutputStopsWhileTheFirstRunsAndTheFirstCompletes(@TempDir Path tmp) throws Exception {
        Path grid = Files.writeString(tmp.resolve("g.yaml"), GRID);
        Path out = tmp.resolve("out");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<SweepDriver.Summary> first = pool.submit(() -> sweep(grid, out, true));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!OutputLock.held(new OutputDir(out.toString())) && !first.isDone() && System.nanoTime() < deadline)
                Thread.sleep(20);
            assertFalse(first.isDone(), "the first sweep is still running");
            BadInputException busy = assertThrows(BadInputException.class, () -> sweep(grid, out, true));
            assertTrue(busy.getMessage().contains("is being written"), busy.getMessage());
            assertEquals(4, first.get().count("ok"));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(4, committed(out).size());
        assertEquals(referenced(out), dataFiles(out));
        // and once it is done, the output is free again
        assertEquals(0, sweep(grid, out, true).results().size());
    }

    /** Plain MLPs, pre-LN residual nets and batch-norm highway nets (block nets and batch norm stack by default too). */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                ", norm: [layer], placement: [pre], skip: [residual]",
                ", norm: [batch], placement: [pre], skip: [highway]"
            })
    void stackedSweepRecordsWhatTheOneByOneSweepRecords(String architecture, @TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("s.yaml");
        Files.writeString(
                grid,
                String.join(
                        "\n",
                        "name: stack-test",
                        "task: {kind: teacher, inputs: 5, samples: 64}",
                        // Adam with warmup and norm clipping: per-run state, lr schedule and clip scale inside one
                        // stack
                        "train: {steps: 4, batch: 16, optimizer: adam, clip: 'norm:0.05', warmup: 2, dtype: float64}",
                        "seeds: [1, 2, 3, 4, 5]",
                        "axes: {depth: [3], width: [6], activation: [tanh], init: [xavier], lr: [0.01, 0.005]"
                                + architecture + "}",
                        ""));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        // no compaction: the two outputs are compared row by row
        SweepDriver.Summary stacked = SweepDriver.run(
                new SweepDriver.Options(
                        grid.toString(), tmp.resolve("a").toString(), false, false, "local[2]", 0, true, false),
                quiet);
        SweepDriver.Summary single = SweepDriver.run(
                new SweepDriver.Options(
                        grid.toString(), tmp.resolve("b").toString(), false, false, "local[2]", 0, false, false),
                quiet);
        assertEquals(10, stacked.count("ok"));
        assertEquals(10, single.count("ok"));
        SparkSession spark = spark();
        try {
            String a = SqlViews.registerTables(spark, tmp.resolve("a").toString()),
                    b = SqlViews.registerTables(spark, tmp.resolve("b").toString());
            for (String t : List.of("runs", "params", "steps")) {
                spark.table(a + t).createOrReplaceTempView(t.charAt(0) + "a");
                spark.table(b + t).createOrReplaceTempView(t.charAt(0) + "b");
            }
            // local[2]: stacks of ceil(10 / (2 x 2)) = 3 keep both cores busy: 3 + 3 + 3 stacked, the last run alone
            assertEquals(9, count(spark, "SELECT count(*) FROM ra WHERE engine = 'stacked:3'"));
            assertEquals(1, count(spark, "SELECT count(*) FROM ra WHERE engine = 'dl4j'"));
            assertEquals(10, count(spark, "SELECT count(*) FROM rb WHERE engine = 'dl4j'"));
            long paramRows = count(spark, "SELECT count(*) FROM pb");
            assertTrue(paramRows >= 10L * 4 * 8, "every run's parameters at every step");
            assertEquals(paramRows, count(spark, "SELECT count(*) FROM pa"));
            assertEquals(
                    paramRows,
                    count(
                            spark,
                            "SELECT count(*) FROM pb JOIN pa USING (run_id, step, layer, param) "
                                    + "WHERE abs(pa.grad_l2 - pb.grad_l2) <= 1e-9 * pb.grad_l2 AND abs(pa.update_l2 - pb.update_l2) <= 1e-9 * pb.update_l2"));
            assertEquals(
                    10L * 4,
                    count(
                            spark,
                            "SELECT count(*) FROM sb JOIN sa USING (run_id, step) WHERE sa.lr = sb.lr "
                                    + "AND abs(sa.update_l2_total - sb.update_l2_total) <= 1e-9 * sb.update_l2_total AND abs(sa.loss - sb.loss) <= 1e-9 * sb.loss"));
            assertEquals(
                    10,
                    count(spark, "SELECT count(*) FROM sa WHERE step = 0 AND lr < 0.01 * 0.5 + 1e-12"),
                    "warmup halves step 0's lr");
            assertTrue(
                    count(spark, "SELECT count(*) FROM sb WHERE grad_l2_total > 0.05") > 0,
                    "the test needs gradients above the clip norm");
        } finally {
            spark.stop();
        }
    }

    @Test
    void aRunThatThrowsIsRecordedAsFailedAndADivergingRunAsDiverged(@TempDir Path tmp) throws Exception {
        ResultTables out = ResultTables.open(new OutputDir(tmp.toString()));
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.GAUSS, 4, 1, 8, TaskSpec.Objective.REGRESSION, null, null, List.of());
        // batch > samples passes no grid (it is validated) but makes the data loader throw inside the task
        RunConfig bad = new RunConfig(
                "t",
                2,
                4,
                Activation.RELU,
                Init.parse("he"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                new TrainSpec(5, 16, TrainSpec.Optimizer.SGD, 0.1, "none", TrainSpec.DType.FLOAT32),
                1);
        RunExecutor.Result fr = RunExecutor.run(bad, null, out.layout(), 0, 1);
        out.commit(fr.files(), "b1");
        RunResult f = fr.runs().get(0);
        assertEquals("failed", f.status());
        assertTrue(f.error().contains("batch 16"), f.error());
        RunConfig wild = new RunConfig(
                "t",
                4,
                16,
                Activation.RELU,
                Init.parse("constant:3"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                new TrainSpec(50, 8, TrainSpec.Optimizer.SGD, 50, "none", TrainSpec.DType.FLOAT32),
                1);
        RunExecutor.Result dr = RunExecutor.run(wild, null, out.layout(), 0, 1);
        out.commit(dr.files(), "b2");
        RunResult d = dr.runs().get(0);
        assertEquals("diverged", d.status());
        assertTrue(d.stepsDone() < 50);
        assertEquals(Set.of(bad.runId, wild.runId), out.committedRuns());
        SparkSession spark = spark();
        try {
            SqlViews.registerTableViews(spark, tmp.toString());
            assertEquals(d.stepsDone(), count(spark, "SELECT count(*) FROM steps WHERE run_id = '" + wild.runId + "'"));
            assertEquals(
                    1, count(spark, "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE '%batch 16%'"));
        } finally {
            spark.stop();
        }
    }
}
