package dev.gradsweep.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.config.BuildInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/own-model as its README runs it, small, so it cannot rot: its sources compiled against this tree into a
 * jar, TrainOnce (a plain main with the listener) on the README's classpath, and its grid swept by bin/gradsweep with
 * --jars; both outputs read back with Spark SQL. An IT: it needs the packaged jar and target/lib.
 */
class ExampleProjectIT {
    static final Path EXAMPLE = Path.of("examples/own-model").toAbsolutePath();

    @TempDir
    Path tmp;

    @Test
    void theExampleProjectTrainsWithTheListenerAndSweepsItsFactory() throws Exception {
        String pom = Files.readString(EXAMPLE.resolve("pom.xml"));
        assertTrue(
                pom.contains("<gradsweep.version>" + BuildInfo.VERSION + "</gradsweep.version>"),
                "examples/own-model/pom.xml depends on this tree's gradsweep " + BuildInfo.VERSION);
        Path jar = compileToJar();
        Path appJar = Path.of(System.getProperty("gradsweep.it.appJar")).toAbsolutePath();
        String cp = jar + ":" + appJar + ":" + appJar.getParent().resolve("lib") + "/*";

        Path once = tmp.resolve("once");
        run(
                List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        cp,
                        "com.example.TrainOnce",
                        once.toString(),
                        "1"),
                "TrainOnce");

        // the README's grid, smaller: one seed, two configurations, few steps
        String grid = Files.readString(EXAMPLE.resolve("grids/small_cnn.yaml"))
                .replace("steps: 60", "steps: 4")
                .replace("seeds: [1, 2]", "seeds: [1]")
                .replace("filters: [2, 8]", "filters: [2]");
        Path gridFile = tmp.resolve("small_cnn.yaml"), swept = tmp.resolve("sweep");
        Files.writeString(gridFile, grid);
        run(
                List.of(
                        Path.of("bin/gradsweep").toAbsolutePath().toString(),
                        "--jars",
                        jar.toString(),
                        "sweep",
                        "--grid",
                        gridFile.toString(),
                        "--out",
                        swept.toString()),
                "bin/gradsweep sweep");

        SparkSession spark = SparkSession.builder()
                .master("local[1]")
                .appName("example-it")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            SqlViews.registerForOneQuery(spark, once.toString(), Map.of());
            Row r = spark.sql("SELECT count(*), min(status), min(engine), min(steps_done) FROM runs")
                    .first();
            assertEquals(
                    List.of(1L, "ok", "listener", 8),
                    List.of(r.get(0), r.get(1), r.get(2), r.get(3)),
                    "one run of 256 examples / batch 32 = 8 steps"); // TrainOnce: one epoch
            assertEquals(5L, spark.sql("SELECT DISTINCT layer FROM layers").count(), "5 layers of SmallCnn");

            SparkSession s2 = spark.newSession();
            SqlViews.registerForOneQuery(s2, swept.toString(), Map.of());
            List<Row> runs = s2.sql("SELECT engine, model, custom, status, steps_done FROM runs ORDER BY custom")
                    .collectAsList();
            assertEquals(2, runs.size());
            List<String> custom = new ArrayList<>();
            for (Row x : runs) {
                assertEquals(
                        List.of("factory", "com.example.SmallCnn", "ok", 4),
                        List.of(x.get(0), x.get(1), x.get(3), x.get(4)));
                custom.add(x.getString(2));
            }
            assertEquals(List.of("filters=2;kernel=3", "filters=2;kernel=5"), custom);
            assertEquals(
                    2L,
                    s2.sql("SELECT * FROM axis_effects WHERE axis = 'custom.kernel'")
                            .count());
        } finally {
            spark.stop();
        }
    }

    private Path compileToJar() throws IOException {
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        List<String> args =
                new ArrayList<>(List.of("-d", classes.toString(), "-cp", System.getProperty("java.class.path")));
        try (Stream<Path> s = Files.walk(EXAMPLE.resolve("src/main/java"))) {
            s.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        assertEquals(
                0,
                ToolProvider.getSystemJavaCompiler().run(null, null, null, args.toArray(new String[0])),
                "examples/own-model compiles against this tree");
        Path jar = tmp.resolve("own-model-1.0.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> s = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, (OutputStream) out);
                out.closeEntry();
            }
        }
        return jar;
    }

    private void run(List<String> cmd, String what) throws Exception {
        Path log = tmp.resolve(what.replaceAll("\\W", "_") + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GRADSWEEP_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), what + " finished in 5 minutes");
        assertEquals(0, p.exitValue(), what + " exit status; its output:\n" + Files.readString(log));
    }
}
