package dev.gradsweep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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
  static final String GRID = String.join("\n",
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
  @TempDir static Path tmp;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = StandaloneCluster.start(2);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) cluster.close();
  }

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void sweepUnderSparkSubmitWritesOneCommittedRunPerConfig() throws Exception {
    Path grid = Files.writeString(tmp.resolve("cluster-it.yaml"), GRID);
    Path out = tmp.resolve("out");
    // No --master: under spark-submit the app must take the master spark-submit gave it.
    int exit = cluster.submit(List.of("sweep", "--grid", grid.toString(), "--out", out.toString()), Map.of());
    assertEquals(0, exit, () -> "spark-submit failed\n" + cluster.diagnostics());

    assertTrue(Files.isDirectory(out.resolve("runs")), () -> "no runs/ under " + out + "\n" + cluster.submitLog());
    Set<String> ids;
    try (Stream<Path> files = Files.list(out.resolve("runs"))) {
      ids = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet"))
          .map(n -> n.substring(0, n.length() - ".parquet".length())).collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(RUNS, ids.size(), () -> "run files in " + out.resolve("runs") + ": " + ids);

    SparkSession spark = SparkSession.builder().master("local[1]").appName("cluster-it-check")
        .config("spark.ui.enabled", "false").config("spark.driver.host", StandaloneCluster.HOST)
        .config("spark.driver.bindAddress", StandaloneCluster.HOST).getOrCreate();
    try {
      Dataset<Row> runs = spark.read().parquet(out.resolve("runs").toString());
      assertEquals(RUNS, runs.count(), "one runs row per run");
      assertEquals(ids, runIds(runs), "runs.run_id matches the file names");
      List<Row> notOk = runs.where("status IS NULL OR status <> 'ok'").select("run_id", "status", "error").collectAsList();
      assertTrue(notOk.isEmpty(), () -> "runs not ok: " + notOk);
      assertEquals(0, runs.where("host IS NULL OR host = ''").count(), "every run records the host that trained it");
      for (String table : List.of("steps", "params", "layers"))
        assertEquals(ids, runIds(spark.read().parquet(out.resolve(table).toString())), table + " has rows for every run");
    } finally {
      spark.stop();
    }

    // The training ran in executor JVMs launched by the workers, not in the driver.
    long tasks = cluster.executorLogs().stream().mapToLong(ClusterSweepIT::finishedTasks).sum();
    assertTrue(tasks > 0, () -> "no executor finished a task\n" + cluster.diagnostics());
  }

  private static long finishedTasks(Path executorLog) {
    try {
      return Files.readAllLines(executorLog, StandardCharsets.ISO_8859_1).stream()
          .filter(l -> l.contains("Executor: Finished task")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<String> runIds(Dataset<Row> table) {
    return table.select("run_id").distinct().collectAsList().stream().map(r -> r.getString(0))
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
