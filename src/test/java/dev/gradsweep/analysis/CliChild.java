package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gradsweep.testkit.ChildJvm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The real CLI in a JVM of its own, as bin/gradsweep starts it: Spark's Java 17 flags and the test classpath, none of
 * the test JVM's {@code -Dspark.*} settings (pom {@code test.spark.conf}: no code generation, no adaptive execution,
 * no broadcast joins, one shuffle partition), so its session has the settings users get: Spark's defaults and what
 * {@code Sessions.forQueries} sets. Started in the background, so it runs beside the test class's other work.
 */
final class CliChild {
    private final Process process;
    private final Path stdout, stderr;

    private CliChild(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code gradsweep args...}; its output goes to files in {@code dir}. */
    static CliChild start(Path dir, String... args) throws IOException {
        List<String> cmd = ChildJvm.command("-Xmx1g", List.of(), "dev.gradsweep.cli.Main", List.of(args));
        Path out = dir.resolve("cli.out"), err = dir.resolve("cli.err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SPARK_") && !k.equals("SPARK_LOCAL_IP"));
        return new CliChild(pb.start(), out, err);
    }

    /** Waits for exit 0 and returns the JSON lines it printed. */
    List<JsonNode> jsonLines() {
        try {
            assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the CLI finished");
            assertEquals(0, process.exitValue(), () -> "exit code; stderr:\n" + tail(stderr));
            List<JsonNode> rows = new ArrayList<>();
            for (String line : Files.readAllLines(stdout)) if (line.startsWith("{")) rows.add(JSON.readTree(line));
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    void destroy() {
        process.destroyForcibly();
    }

    private static String tail(Path p) {
        try {
            String s = Files.readString(p);
            return s.substring(Math.max(0, s.length() - 4000));
        } catch (IOException e) {
            return e.toString();
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    /** A query's rows as the CLI's {@code --format json} prints them. */
    static List<JsonNode> json(Dataset<Row> rows) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ResultPrinter.print(rows, ResultPrinter.Format.JSON, new PrintStream(b, true, StandardCharsets.UTF_8));
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : b.toString(StandardCharsets.UTF_8).split("\n"))
                if (!line.isBlank()) out.add(JSON.readTree(line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The same rows, value for value: strings, integers, nulls and non-finite numbers exactly, finite doubles to 1e-12
     * relative (sums such as avg and regr_slope add in the order the partitions give them).
     */
    static void assertSameRows(List<JsonNode> expected, List<JsonNode> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": rows");
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i), a = actual.get(i);
            List<String> names = new ArrayList<>(), actualNames = new ArrayList<>();
            e.fieldNames().forEachRemaining(names::add);
            a.fieldNames().forEachRemaining(actualNames::add);
            assertEquals(names, actualNames, what + ": columns");
            for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode x = f.getValue(), y = a.get(f.getKey());
                String where = what + " row " + i + " " + f.getKey() + ": " + x + " vs " + y;
                if (x.isDouble() && y.isDouble()) {
                    double p = x.doubleValue(), q = y.doubleValue();
                    assertTrue(p == q || Math.abs(p - q) <= 1e-12 * Math.max(Math.abs(p), Math.abs(q)), where);
                } else assertEquals(x, y, where);
            }
        }
    }
}
