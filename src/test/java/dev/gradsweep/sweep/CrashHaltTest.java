package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.store.CommitPoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash with a real halt: the command runs as a user runs it, in a JVM of its own ({@code dev.gradsweep.cli.Main}),
 * which {@code Runtime.halt}s right after the chosen metadata operation, so no finally block, shutdown hook or lock
 * release runs. The user then sees the lock it left ("being written ... retry"), and once that is stale runs the
 * same command again (a sweep with --resume); every table must equal an uninterrupted run's. One operation per phase
 * of sweep, compact and migrate here; with {@code -Pcrash-exhaustive} every operation of every case (docs/tables.md
 * records that run).
 */
class CrashHaltTest {
    static final boolean EXHAUSTIVE = Boolean.getBoolean("gradsweep.test.crashExhaustive");

    @org.junit.jupiter.api.io.TempDir
    static Path tmp;

    static SparkSession spark;
    static Map<CrashCases.Kind, CrashCases.Case> cases;

    @BeforeAll
    static void prepare() throws Exception {
        SparkConf conf = SweepDriver.sparkConf(
                new SweepDriver.Options("unused", "unused", false, false, "local[2]", 0), "crash-halt-test");
        spark = SparkSession.builder().config(conf).getOrCreate();
        cases = CrashCases.prepare(tmp, spark);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** @param phase the name of the operation to halt after (its first occurrence), "*" for every one in turn */
    @ParameterizedTest
    @CsvSource({
        "SWEEP, append steps", // a batch half committed
        "SWEEP, expire steps", // the end-of-sweep compaction, some tables expired
        "COMPACT, rewrite params",
        "COMPACT, expire params",
        "MIGRATE, append params", // before the tables are marked migrated
        "MIGRATE, delete per-run steps file", // after
        "SWEEP, *",
        "MULTI, *",
        "RESUME, *",
        "COMPACT, *",
        "MIGRATE, *"
    })
    void haltedRightAfterAnOperationThenRunAgainLosesNothing(CrashCases.Kind kind, String phase) throws Exception {
        Assumptions.assumeTrue(EXHAUSTIVE == phase.equals("*"), "every operation only with -Pcrash-exhaustive");
        CrashCases.Case c = cases.get(kind);
        Path ref = CrashCases.fresh(c, tmp.resolve(kind + "-ref"));
        List<String> ops = new ArrayList<>();
        CommitPoints.observe(ops::add);
        try {
            c.run(ref, false);
        } finally {
            CommitPoints.observe(null);
        }
        var expected = CrashCases.rows(ref);
        List<Integer> points = new ArrayList<>();
        if (EXHAUSTIVE) for (int k = 1; k <= ops.size(); k++) points.add(k);
        else points.add(ops.indexOf(phase) + 1);
        assertTrue(points.get(0) > 0, phase + " is not among " + ops);
        long t0 = System.nanoTime();
        for (int k : points) {
            Path out = CrashCases.fresh(c, tmp.resolve(kind + "-halt"));
            Path log = tmp.resolve(kind + "-halt.log");
            int status = child(c, out, k, log);
            String said = Files.readString(log);
            if (status == 0) { // a multi-batch sweep may commit fewer batches than the reference did
                assertTrue(kind == CrashCases.Kind.MULTI && k > ops.size() - 3, kind + " k=" + k + ": " + said);
                continue;
            }
            assertEquals(CommitPoints.HALT_STATUS, status, kind + " k=" + k + ": " + said);
            assertTrue(said.contains("halting right after"), said);
            CrashCases.assertBusyThenStale(c, out);
            c.run(out, true);
            String at = kind + " halted after operation " + k + " (" + ops.get(k - 1) + ")";
            CrashCases.assertRows(expected, out, at);
            CrashCases.assertNoUnreferencedFiles(out);
        }
        System.err.printf(
                "CrashHaltTest %s %s: %d operations, %d halts and recoveries in %.1f s%n",
                kind, phase, ops.size(), points.size(), (System.nanoTime() - t0) / 1e9);
    }

    /** Runs the case's command in a JVM of its own, halted after its k-th operation; its exit status. */
    static int child(CrashCases.Case c, Path out, int k, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-XX:TieredStopAtLevel=1", // short and cold: the client compiler alone (docs/testing.md)
                "-XX:+UseSerialGC"));
        cmd.addAll(RuntimeOptions.SPARK_JAVA17_FLAGS);
        cmd.addAll(RuntimeOptions.SIMD_FLAGS);
        cmd.addAll(RuntimeOptions.JAVACPP_FLAGS);
        // the test JVM's Spark settings (the pom's test.spark.conf), so the child's session is configured alike
        System.getProperties().stringPropertyNames().stream()
                .filter(p -> p.startsWith("spark."))
                .forEach(p -> cmd.add("-D" + p + "=" + System.getProperty(p)));
        c.props().forEach((p, v) -> cmd.add("-D" + p + "=" + v));
        cmd.add("-D" + RuntimeOptions.CRASH_AFTER.key() + "=" + k);
        cmd.add("-D" + RuntimeOptions.CRASH_HALT.key() + "=true");
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.gradsweep.cli.Main"));
        cmd.addAll(c.args(out));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the child ran 5 minutes: " + Files.readString(log));
        }
        return p.exitValue();
    }
}
