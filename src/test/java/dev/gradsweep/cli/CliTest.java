package dev.gradsweep.cli;

import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.sweep.LegacyLayout;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user drives it: exit codes, messages, output formats. */
class CliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    private PrintStream oldOut, oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void traceReproducesTheWorkedExample() {
        assertEquals(0, Main.execute("trace"));
        assertTrue(out().contains("1.5594e-05"), out());
        assertTrue(out().contains("delta last/first = 64,1"), out());
        out.reset();
        assertEquals(
                0, Main.execute("trace", "--format", "csv", "--depth", "3", "--activation", "relu", "--weight", "2"));
        List<String> lines = out().lines().toList();
        assertEquals("layer,z,a,slope,delta,grad_w", lines.get(0));
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).startsWith("1,2.0000"), lines.get(1));
        assertEquals(2, Main.execute("trace", "--activation", "gelu"));
        assertTrue(err().contains("--activation"), err());
    }

    @Test
    void helpExplainsEveryCommand() {
        for (String c : List.of("sweep", "sql", "report", "trace", "bench", "compact", "migrate")) {
            out.reset();
            assertEquals(0, Main.execute(c, "--help"));
            assertTrue(out().contains("Usage: gradsweep " + c), out());
        }
    }

    @Test
    void badGridFailsBeforeSparkStartsWithExitCode2(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("bad.yaml");
        Files.writeString(
                grid,
                "name: x\ntask: {kind: teacher}\ntrain: {steps: 5}\naxes: {depth: [2], width: [3], activation: [sigmod], init: [he]}\n");
        long t0 = System.nanoTime();
        assertEquals(
                2,
                Main.execute(
                        "sweep",
                        "--grid",
                        grid.toString(),
                        "--out",
                        tmp.resolve("o").toString()));
        assertTrue(
                err().contains("grid file " + grid
                        + ": axes.activation: unknown activation 'sigmod'; allowed: sigmoid"),
                err());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written for a bad grid");
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "validation must not start Spark");
        assertEquals(2, Main.execute("sql", "--in", tmp.resolve("nothing").toString(), "-e", "SELECT 1"));
        assertTrue(err().contains("no such directory"), err());
        assertEquals(2, Main.execute("compact", "--in", tmp.resolve("nothing").toString()));
        assertTrue(err().contains("gradsweep compact: --in " + tmp.resolve("nothing") + ": no such directory"), err());
        Files.writeString(tmp.resolve("afile"), "x");
        assertEquals(
                2,
                Main.execute(
                        "sweep",
                        "--grid",
                        grid.toString(),
                        "--out",
                        tmp.resolve("afile").toString()));
    }

    /**
     * An output in the per-run layout of earlier versions: every command that reads or writes it names the command
     * that converts it; after the conversion the committed runs' rows are all there, and only those.
     */
    @Test
    void perRunLayoutIsRefusedUntilMigratedAndMigratesExactly(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("g.yaml");
        Files.writeString(
                grid,
                String.join(
                        "\n",
                        "name: legacy",
                        "task: {kind: teacher, inputs: 4, samples: 32}",
                        "train: {steps: 3, batch: 16}",
                        "seeds: [1, 2]",
                        "axes: {depth: [2], width: [4], activation: [tanh], init: [xavier]}",
                        ""));
        Path ice = tmp.resolve("ice"), old = tmp.resolve("old");
        assertEquals(
                0,
                Main.execute("sweep", "--grid", grid.toString(), "--out", ice.toString(), "--quiet", "--no-compact"));
        long steps, params;
        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .appName("legacy")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            String p = SqlViews.registerTables(spark, ice.toString());
            steps = spark.table(p + "steps").count();
            params = spark.table(p + "params").count();
            // the old layout: <out>/<table>/<run_id>.parquet, plus steps rows of a run whose runs file never got
            // written
            LegacyLayout.write(spark, p, old, tmp.resolve("w"));
            LegacyLayout.file(
                    spark.table(p + "steps").withColumn("run_id", lit("0000uncommitted")),
                    tmp.resolve("w"),
                    old.resolve("steps/0000uncommitted.parquet"));
        } finally {
            spark.stop();
        }
        assertEquals(2, Main.execute("sql", "--in", old.toString(), "-e", "SELECT 1"));
        assertTrue(err().contains("bin/gradsweep migrate --in " + old), err());
        err.reset();
        assertEquals(2, Main.execute("sweep", "--grid", grid.toString(), "--out", old.toString(), "--resume"));
        assertTrue(err().contains("bin/gradsweep migrate --in " + old), err());
        assertEquals(2, Main.execute("migrate", "--in", ice.toString()));
        assertTrue(err().contains("nothing to migrate"), err());

        assertEquals(0, Main.execute("migrate", "--in", old.toString(), "--master", "local[1]"));
        assertTrue(out().contains("migrated 2 runs"), out());
        try (Stream<Path> left = Files.list(old.resolve("steps"))) {
            assertEquals(
                    List.of("data", "metadata"),
                    left.map(x -> x.getFileName().toString()).sorted().toList(),
                    "per-run files deleted");
        }
        out.reset();
        assertEquals(
                0,
                Main.execute(
                        "sql",
                        "--in",
                        old.toString(),
                        "--master",
                        "local[1]",
                        "--format",
                        "csv",
                        "-e",
                        "SELECT (SELECT count(*) FROM steps) AS s, (SELECT count(*) FROM params) AS p, (SELECT count(*) FROM runs) AS r"));
        assertEquals(
                List.of("s,p,r", steps + "," + params + ",2"), out().lines().toList());
        out.reset();
        // and it is a sweep output like any other: resume finds both runs committed
        assertEquals(
                0, Main.execute("sweep", "--grid", grid.toString(), "--out", old.toString(), "--resume", "--quiet"));
        assertTrue(out().contains("0 trained now") && out().contains("2 already committed"), out());

        // layer_stalls: written by the executors (ice), filled from the migrated rows (old), computed by the views
        // when an Iceberg output of an older gradsweep has no such table, and filled by compact: the same verdicts
        String verdicts =
                "SELECT run_id, verdict, stall_layer, starved_layers, frozen_layers FROM verdicts ORDER BY run_id";
        String stored = verdicts(ice, verdicts);
        assertEquals(3, stored.lines().count(), stored);
        assertTrue(stallsComplete(old), "migrate fills layer_stalls");
        assertEquals(stored, verdicts(old, verdicts), "the migrated output's");
        deleteTree(ice.resolve("layer_stalls"));
        assertEquals(stored, verdicts(ice, verdicts), "computed without the table");
        err.reset();
        assertEquals(0, Main.execute("compact", "--in", ice.toString(), "--master", "local[1]"));
        assertTrue(err().contains("layer_stalls: computed the rows of 2 runs"), err());
        assertTrue(stallsComplete(ice), "compact fills layer_stalls");
        assertEquals(stored, verdicts(ice, verdicts), "from the filled table");
    }

    private String verdicts(Path dir, String query) {
        out.reset();
        assertEquals(
                0, Main.execute("sql", "--in", dir.toString(), "--master", "local[1]", "--format", "csv", "-e", query));
        return out();
    }

    private static boolean stallsComplete(Path dir) {
        OutputDir o = new OutputDir(dir.toString());
        return ResultTables.stallsFrozenUpdateRatio(o, ResultTables.CatalogSpec.of(o.location(), Map.of())) != null;
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }

    @Test
    void sweepThenSqlInEveryFormat(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("g.yaml");
        Files.writeString(
                grid,
                String.join(
                        "\n",
                        "name: cli",
                        "task: {kind: spirals, samples: 64}",
                        "train: {steps: 3, batch: 16, dtype: float64}",
                        "axes: {depth: [2], width: [4], activation: [tanh], init: [xavier]}",
                        ""));
        Path o = tmp.resolve("o");
        assertEquals(0, Main.execute("sweep", "--grid", grid.toString(), "--out", o.toString(), "--max-parallel", "1"));
        assertTrue(out().contains("1 runs in the grid: 1 trained now (1 ok, 0 diverged, 0 failed)"), out());
        assertTrue(out().contains("log10_delta_first_over_last") && out().contains("verdict"), out());
        assertTrue(err().contains("[cli] 1/1 runs done"), err());
        for (String fmt : List.of("csv", "json", "table")) {
            out.reset();
            assertEquals(
                    0,
                    Main.execute(
                            "sql",
                            "--in",
                            o.toString(),
                            "--master",
                            "local[1]",
                            "--format",
                            fmt,
                            "-e",
                            "SELECT step, layer, param FROM params WHERE step = 0 AND layer = 0 ORDER BY param"));
            List<String> lines = out().lines().toList();
            switch (fmt) {
                case "csv":
                    assertEquals(List.of("step,layer,param", "0,0,W", "0,0,b"), lines);
                    break;
                case "json":
                    assertEquals(
                            List.of(
                                    "{\"step\":0,\"layer\":0,\"param\":\"W\"}",
                                    "{\"step\":0,\"layer\":0,\"param\":\"b\"}"),
                            lines);
                    break;
                default:
                    assertTrue(out().contains("|0   |0    |W    |"), out());
            }
        }
        Path q = tmp.resolve("q.sql");
        Files.writeString(q, "SELECT count(*) AS n FROM steps;\nSELECT count(*) AS n FROM layers;\n");
        out.reset();
        assertEquals(
                0,
                Main.execute(
                        "sql", "--in", o.toString(), "--master", "local[1]", "--format", "csv", "-f", q.toString()));
        assertEquals(List.of("n", "3", "n", "6"), out().lines().toList());
    }
}
