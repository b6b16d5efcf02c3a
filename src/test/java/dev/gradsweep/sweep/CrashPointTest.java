package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.store.CommitPoints;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash at every commit point, in this JVM: each case's command is stopped right after its k-th metadata operation
 * (gradsweep.test.crashAfter, an exception), for every k in turn; the error must name the command that finishes the
 * work, and once that has run every table equals an uninterrupted run's, row for row, and no file is left that
 * Iceberg does not reference. One Spark session serves every command (a command leaves a session it did not start
 * running). CrashHaltTest stops real JVMs.
 */
class CrashPointTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    static Map<CrashCases.Kind, CrashCases.Case> cases;

    @BeforeAll
    static void prepare() throws Exception {
        SparkConf conf = SweepDriver.sparkConf(
                new SweepDriver.Options("unused", "unused", false, false, "local[2]", 0), "crash-test");
        spark = SparkSession.builder().config(conf).getOrCreate();
        cases = CrashCases.prepare(tmp, spark);
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    @ParameterizedTest
    @EnumSource(CrashCases.Kind.class)
    void crashAtEveryCommitPointThenWhatTheErrorSaysLosesNothing(CrashCases.Kind kind) throws Exception {
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
        CrashCases.assertNoDuplicates(expected);
        CrashCases.assertNoUnreferencedFiles(ref);
        long t0 = System.nanoTime();
        int k = 1;
        for (; ; k++) {
            Path out = CrashCases.fresh(c, tmp.resolve(kind + "-crash"));
            Exception stopped = null;
            System.setProperty(RuntimeOptions.CRASH_AFTER.key(), Long.toString(CommitPoints.count() + k));
            try {
                c.run(out, false);
            } catch (Exception e) {
                stopped = e;
            } finally {
                System.clearProperty(RuntimeOptions.CRASH_AFTER.key());
            }
            awaitNoTasks();
            String at = kind + " stopped after operation " + k + (k <= ops.size() ? " (" + ops.get(k - 1) + ")" : "");
            if (stopped == null) {
                assertTrue(k > ops.size() / 2, at + ": finished although the reference counted " + ops);
                CrashCases.assertRows(expected, out, at + ", never stopped");
                break;
            }
            assertInstanceOf(Stopped.class, stopped, at);
            assertInstanceOf(CommitPoints.Crash.class, stopped.getCause(), at);
            assertTrue(stopped.getMessage().contains("finish it with " + c.advice(out)), stopped.getMessage());
            CrashCases.assertBusyThenStale(c, out);
            c.run(out, true);
            CrashCases.assertRows(expected, out, at);
            CrashCases.assertNoUnreferencedFiles(out);
        }
        System.err.printf(
                "CrashPointTest %s: %d operations, %d crashes and recoveries in %.1f s%n",
                kind, ops.size(), k - 1, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The reproduction: compaction stopped after it expired the runs table's snapshots and before the
     * others'. The batch tags of steps, params, layers and layer_stalls are then on no runs snapshot; the next
     * compaction must still keep those tables' rows (it deleted them all, and --resume retrained nothing).
     */
    @Test
    void compactionStoppedAfterExpiringRunsAloneLosesNoRow() throws Exception {
        CrashCases.Case c = cases.get(CrashCases.Kind.SWEEP);
        Path out = tmp.resolve("runs-expired-alone");
        SweepDriver.run(
                new SweepDriver.Options(c.grid().toString(), out.toString(), false, false, null, 0, true, false),
                new PrintStream(new ByteArrayOutputStream()));
        var before = CrashCases.rows(out);
        assertEquals(3, before.get(Table.STEPS).size(), "1 run x 3 steps");
        org.apache.iceberg.Table runs =
                ResultTables.open(new OutputDir(out.toString())).table(Table.RUNS);
        runs.rewriteManifests().clusterBy(f -> "all").commit();
        runs.expireSnapshots()
                .expireOlderThan(System.currentTimeMillis())
                .retainLast(1)
                .commit();
        Maintenance.compact(out.toString(), null, new PrintStream(new ByteArrayOutputStream()));
        CrashCases.assertRows(before, out, "compacted after runs' snapshots were expired alone");
        c.run(out, true);
        CrashCases.assertRows(before, out, "and resumed");
    }

    /** Tasks of a job the fault cancelled may still be writing: the next command must not race them. */
    static void awaitNoTasks() throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            int running = 0;
            for (var e : spark.sparkContext().statusTracker().getExecutorInfos()) running += e.numRunningTasks();
            if (running == 0 && spark.sparkContext().statusTracker().getActiveJobIds().length == 0) return;
            Thread.sleep(50);
        }
        throw new AssertionError("tasks still running 30 s after the fault");
    }
}
