package dev.gradsweep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar under spark-submit on a real 2-worker standalone cluster: runs are trained in executors. */
class ClusterSweepIT {
    static final String GRID = String.join(
            "\n",
            "name: cluster-it",
            "task: {kind: teacher, inputs: 8, samples: 256}",
            "train: {steps: 20, batch: 32, optimizer: sgd, lr: 0.05, dtype: float32}",
            "seeds: [1, 2]",
            "axes:",
            "  depth: [3]",
            "  width: [8]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier]",
            "");
    static final int RUNS = 4; // 2 activations x 2 seeds

    static StandaloneCluster cluster;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = StandaloneCluster.start(2);
    }

    @AfterAll
    static void stopCluster() {
        if (check != null) check.stop();
        if (cluster != null) cluster.close();
    }

    /** The local session that reads the cluster's tables back: one for both tests, so the second finds it warm. */
    private static SparkSession check;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void sweepUnderSparkSubmitWritesOneCommittedRunPerConfig() throws Exception {
        Path grid = Files.writeString(tmp.resolve("cluster-it.yaml"), GRID);
        Path out = tmp.resolve("out");
        // No --master: under spark-submit the app must take the master spark-submit gave it.
        int exit = cluster.submit(List.of("sweep", "--grid", grid.toString(), "--out", out.toString()), Map.of());
        assertEquals(0, exit, () -> "spark-submit failed\n" + cluster.diagnostics());

        assertTrue(
                Files.isDirectory(out.resolve("runs/metadata")),
                () -> "no runs table under " + out + "\n" + cluster.submitLog());
        SparkSession spark = checkSession();
        String t = SqlViews.registerTables(spark, out.toString());
        Dataset<Row> runs = spark.table(t + "runs");
        assertEquals(RUNS, runs.count(), "one runs row per run");
        Set<String> ids = runIds(runs);
        assertEquals(RUNS, ids.size(), () -> "run ids: " + ids);
        List<Row> notOk = runs.where("status IS NULL OR status <> 'ok'")
                .select("run_id", "status", "error")
                .collectAsList();
        assertTrue(notOk.isEmpty(), () -> "runs not ok: " + notOk);
        assertEquals(0, runs.where("host IS NULL OR host = ''").count(), "every run records the host that trained it");
        for (String table : List.of("steps", "params", "layers", "layer_stalls"))
            assertEquals(ids, runIds(spark.table(t + table)), table + " has rows for every run");
        assertEquals(RUNS * 20L, spark.table(t + "steps").count(), "20 steps per run, none twice");

        // The training ran in executor JVMs launched by the workers, not in the driver.
        long tasks = cluster.executorLogs().stream()
                .mapToLong(ClusterSweepIT::finishedTasks)
                .sum();
        assertTrue(tasks > 0, () -> "no executor finished a task\n" + cluster.diagnostics());
    }

    /**
     * A grid naming a user's model factory, its jar passed the standard way ({@code spark.jars}, what spark-submit's
     * {@code --jars} sets): the driver loads and checks the factory, the executors build and train its networks.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aModelFactorysJarReachesTheDriverAndTheExecutors() throws Exception {
        Path jar = tmp.resolve("factories.jar");
        Path classes = Path.of("target/test-classes");
        try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                java.util.stream.Stream<Path> s = Files.list(classes.resolve("dev/gradsweep/api"))) {
            for (Path c :
                    (Iterable<Path>) s.filter(f -> f.getFileName().toString().startsWith("TestFactories"))::iterator) {
                j.putNextEntry(new java.util.jar.JarEntry(classes.relativize(c).toString()));
                Files.copy(c, j);
                j.closeEntry();
            }
        }
        Path grid = Files.writeString(
                tmp.resolve("factory-it.yaml"),
                String.join(
                        "\n",
                        "name: factory_it",
                        "model: {class: dev.gradsweep.api.TestFactories$Good}",
                        "task: {kind: spirals, samples: 64}",
                        "train: {steps: 5, batch: 16, optimizer: adam, lr: 0.01}",
                        "axes:",
                        "  custom: {hidden: [4, 6]}",
                        ""));
        Path out = tmp.resolve("factory-out");
        int exit = cluster.submit(
                List.of("sweep", "--grid", grid.toString(), "--out", out.toString()),
                Map.of("spark.jars", jar.toAbsolutePath().toString()));
        assertEquals(0, exit, () -> "spark-submit failed\n" + cluster.diagnostics());
        SparkSession spark = checkSession();
        String t = SqlViews.registerTables(spark, out.toString());
        List<Row> runs =
                spark.table(t + "runs").select("engine", "status", "custom").collectAsList();
        assertEquals(2, runs.size(), () -> "runs: " + runs);
        for (Row r : runs) assertEquals(List.of("factory", "ok"), List.of(r.get(0), r.get(1)), r.toString());
    }

    /**
     * An executor killed mid-sweep, while it trains a run (its task lost with it), loses nothing: Spark reruns the task
     * elsewhere, only each task's successful attempt is committed, and the lost attempt's files are removed.
     */
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void anExecutorKilledMidSweepLosesNoRunAndDuplicatesNone() throws Exception {
        Path grid = Files.writeString(
                tmp.resolve("worker-loss.yaml"),
                GRID.replace("name: cluster-it", "name: worker-loss")
                        .replace("steps: 20", "steps: " + LOSS_STEPS)
                        .replace("seeds: [1, 2]", "seeds: [1, 2, 3, 4]"));
        Path out = tmp.resolve("loss");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Set<String> lost = Set.of();
        try {
            // --no-stack: one run per task, so runs commit while others still train; commits every 200 ms, so the
            // first commit comes before the last task on a fast machine too. --no-compact: the sweep then deletes the
            // killed attempt's files itself (the first test runs the compaction on the cluster)
            Future<Integer> exit = pool.submit(() -> cluster.submit(
                    List.of(
                            "sweep",
                            "--grid",
                            grid.toString(),
                            "--out",
                            out.toString(),
                            "--no-stack",
                            "--no-compact",
                            "--quiet"),
                    Map.of(),
                    List.of("-D" + RuntimeOptions.COMMIT_INTERVAL.key() + "=200")));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
            int committed = 0;
            // the kill must land mid-sweep (a batch committed, runs still to come) and mid-task: on a task that worker
            // 0's executor started since the last look (a warm run of 150 steps takes ~0.6 s; the kill follows within
            // milliseconds, so
            // the attempt cannot finish first and is lost)
            Set<String> seen = Set.of();
            while (!exit.isDone() && System.nanoTime() < deadline) {
                committed = committedRuns(out);
                Set<String> running = cluster.runningTasks(0);
                Set<String> fresh = new TreeSet<>(running);
                fresh.removeAll(seen);
                seen = running;
                lost = committed > 0 ? fresh : Set.of();
                if (!lost.isEmpty()) break;
                Thread.sleep(20);
            }
            assertTrue(
                    committed > 0 && committed < LOSS_RUNS && !lost.isEmpty(),
                    "kill after the first batch, before the last, while worker 0 trains: " + committed
                            + " committed, running there: " + lost);
            int killed = cluster.killExecutors(0);
            assertEquals(1, killed, () -> "executors of worker 0\n" + cluster.diagnostics());
            assertEquals(0, exit.get(10, TimeUnit.MINUTES), () -> "spark-submit failed\n" + cluster.diagnostics());
        } finally {
            pool.shutdownNow();
        }
        String log = cluster.submitLog();
        for (String tid : lost)
            assertTrue(
                    Pattern.compile("Lost task \\S+ in stage \\S+ \\(TID " + tid + "\\).*ExecutorLostFailure")
                            .matcher(log)
                            .find(),
                    () -> "the driver did not see task " + tid + " lost with its executor\n" + log);
        assertTrue(log.contains("task attempts retried"), () -> "the sweep reported no retried attempt\n" + log);
        SparkSession spark = checkSession();
        String t = SqlViews.registerTables(spark, out.toString());
        assertEquals(LOSS_RUNS, runIds(spark.table(t + "runs")).size());
        assertEquals(LOSS_RUNS, spark.table(t + "runs").count(), "one runs row per run");
        assertEquals(LOSS_RUNS * (long) LOSS_STEPS, spark.table(t + "steps").count(), "every step of every run, once");
        assertEquals(
                0,
                spark.sql("SELECT run_id, step, layer, param FROM " + t
                                + "params GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
                        .count());
        // the executors' layer_stalls rows: one per run and layer (depth 3: 4 layers), the retried run's once
        assertEquals(LOSS_RUNS * 4L, spark.table(t + "layer_stalls").count(), "layer_stalls: every layer once");
        assertEquals(LOSS_RUNS, runIds(spark.table(t + "layer_stalls")).size());
        // every data file left is one the tables reference: the killed attempts' files are gone
        Set<String> onDisk, referenced = new TreeSet<>();
        try (Stream<Path> s = Files.walk(out)) {
            onDisk = s.filter(p -> p.getParent().getFileName().toString().equals("data")
                            && p.toString().endsWith(".parquet"))
                    .map(p -> p.toAbsolutePath().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        ResultTables tables = ResultTables.open(new OutputDir(out.toString()));
        for (Table table : Table.values())
            try (var files = tables.table(table).newScan().planFiles()) {
                for (var f : files)
                    referenced.add(URI.create(f.file().location()).getPath());
            }
        assertEquals(referenced, onDisk);
    }

    static final int LOSS_STEPS = 150, LOSS_RUNS = 8; // 2 activations x 4 seeds

    private static int committedRuns(Path out) {
        if (!Files.exists(out.resolve("runs/metadata/version-hint.text"))) return 0;
        return ResultTables.open(new OutputDir(out.toString())).committedRuns().size();
    }

    private static SparkSession checkSession() {
        if (check == null)
            check = SparkSession.builder()
                    .master("local[1]")
                    .appName("cluster-it-check")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", StandaloneCluster.HOST)
                    .config("spark.driver.bindAddress", StandaloneCluster.HOST)
                    .getOrCreate();
        return check;
    }

    private static long finishedTasks(Path executorLog) {
        try {
            return Files.readAllLines(executorLog, StandardCharsets.ISO_8859_1).stream()
                    .filter(l -> l.contains("Executor: Finished task"))
                    .count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> runIds(Dataset<Row> table) {
        return table.select("run_id").distinct().collectAsList().stream()
                .map(r -> r.getString(0))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
