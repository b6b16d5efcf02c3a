package dev.gradsweep.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertEquals(0, Main.execute("trace", "--format", "csv", "--depth", "3", "--activation", "relu", "--weight", "2"));
        List<String> lines = out().lines().toList();
        assertEquals("layer,z,a,slope,delta,grad_w", lines.get(0));
        assertEquals(4, lines.size());
        assertTrue(lines.get(1).startsWith("1,2.0000"), lines.get(1));
        assertEquals(2, Main.execute("trace", "--activation", "gelu"));
        assertTrue(err().contains("--activation"), err());
    }

    @Test
    void helpExplainsEveryCommand() {
        for (String c : List.of("sweep", "sql", "report", "trace", "bench")) {
            out.reset();
            assertEquals(0, Main.execute(c, "--help"));
            assertTrue(out().contains("Usage: gradsweep " + c), out());
        }
    }

    @Test
    void badGridFailsBeforeSparkStartsWithExitCode2(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("bad.yaml");
        Files.writeString(grid, "name: x\ntask: {kind: teacher}\ntrain: {steps: 5}\naxes: {depth: [2], width: [3], activation: [sigmod], init: [he]}\n");
        long t0 = System.nanoTime();
        assertEquals(2, Main.execute("sweep", "--grid", grid.toString(), "--out", tmp.resolve("o").toString()));
        assertTrue(err().contains("grid file " + grid + ": axes.activation: unknown activation 'sigmod'; allowed: sigmoid"), err());
        assertFalse(Files.exists(tmp.resolve("o")), "nothing written for a bad grid");
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "validation must not start Spark");
        assertEquals(2, Main.execute("sql", "--in", tmp.resolve("nothing").toString(), "-e", "SELECT 1"));
        assertTrue(err().contains("no committed runs"), err());
    }

    @Test
    void sweepThenSqlInEveryFormat(@TempDir Path tmp) throws Exception {
        Path grid = tmp.resolve("g.yaml");
        Files.writeString(grid, String.join("\n", "name: cli", "task: {kind: spirals, samples: 64}",
                "train: {steps: 3, batch: 16, dtype: float64}", "axes: {depth: [2], width: [4], activation: [tanh], init: [xavier]}", ""));
        Path o = tmp.resolve("o");
        assertEquals(0, Main.execute("sweep", "--grid", grid.toString(), "--out", o.toString(), "--max-parallel", "1"));
        assertTrue(out().contains("1 runs in the grid: 1 trained now (1 ok, 0 diverged, 0 failed)"), out());
        assertTrue(out().contains("log10_delta_first_over_last") && out().contains("verdict"), out());
        assertTrue(err().contains("[cli] 1/1 runs done"), err());
        for (String fmt : List.of("csv", "json", "table")) {
            out.reset();
            assertEquals(0, Main.execute("sql", "--in", o.toString(), "--master", "local[1]", "--format", fmt, "-e",
                    "SELECT step, layer, param FROM params WHERE step = 0 AND layer = 0 ORDER BY param"));
            List<String> lines = out().lines().toList();
            switch (fmt) {
                case "csv": assertEquals(List.of("step,layer,param", "0,0,W", "0,0,b"), lines); break;
                case "json": assertEquals(List.of("{\"step\":0,\"layer\":0,\"param\":\"W\"}", "{\"step\":0,\"layer\":0,\"param\":\"b\"}"), lines); break;
                default: assertTrue(out().contains("|0   |0    |W    |"), out());
            }
        }
        Path q = tmp.resolve("q.sql");
        Files.writeString(q, "SELECT count(*) AS n FROM steps;\nSELECT count(*) AS n FROM layers;\n");
        out.reset();
        assertEquals(0, Main.execute("sql", "--in", o.toString(), "--master", "local[1]", "--format", "csv", "-f", q.toString()));
        assertEquals(List.of("n", "3", "n", "6"), out().lines().toList());
    }
}
