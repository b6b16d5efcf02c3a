package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.store.CommitPoints;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash at the commit points, in this JVM: each case's command stopped after its metadata operations, then the
 * command a user runs next; every table must then equal an uninterrupted run's, row for row (timings aside), and no
 * file be left that Iceberg does not reference. One Spark session serves every command (a command leaves a session
 * it did not start running); the real halts are JVMs of their own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashPointTest {
    @TempDir
    static Path tmp;

    static SparkSession spark;
    /** The kinds of operation stopped at so far: each case adds the states of the kinds it is the first to do. */
    static final Set<String> COVERED = new HashSet<>();

    /**
     * The cases stopped after every operation in the default suite: a one-batch sweep (every kind of a sweep's
     * operation: lock, table creation, the batch's appends, release) and a migration (all its phases). The others'
     * operations are mostly compaction's file deletions (55 of 72-89), ~1 s of recovery each: every kind of theirs
     * by default, every operation with -Pcrash-exhaustive (docs/tables.md).
     */
    static final Set<CrashCases.Kind> EVERY_K = Set.of(CrashCases.Kind.SWEEP, CrashCases.Kind.MIGRATE);

    static Map<CrashCases.Kind, CrashCases.Case> cases;
    /** What each case's uninterrupted run left (its rows) and did (its operations, in order). */
    static final Map<CrashCases.Kind, Reference> REFERENCE = new EnumMap<>(CrashCases.Kind.class);

    record Reference(Map<Table, List<String>> rows, List<String> ops) {}

    /** The real halts of the default suite: one operation per phase of sweep, compact and migrate. */
    static final List<Arguments> HALTS = List.of(
            Arguments.of(CrashCases.Kind.SWEEP, "append steps"), // a batch half committed
            Arguments.of(CrashCases.Kind.MULTI, "expire steps"), // the end-of-sweep compaction, some tables expired
            Arguments.of(CrashCases.Kind.COMPACT, "expire params"),
            Arguments.of(CrashCases.Kind.MIGRATE, "migrate params"), // appended, before the tables are marked migrated
            Arguments.of(CrashCases.Kind.MIGRATE, "delete per-run steps file")); // after

    /** What a halted child left: its output directory, exit status and log. */
    record Halted(Path out, int status, String said) {}

    /** The halts' children, one after the other in the background while this JVM recovers from the copies. */
    static final ExecutorService CHILDREN = Executors.newSingleThreadExecutor();

    static final Map<String, Future<Halted>> HALTED = new HashMap<>();

    @BeforeAll
    static void prepare() throws Exception {
        spark = CrashCases.session("crash-test");
        cases = CrashCases.prepare(tmp, spark);
        if (!CrashChild.EXHAUSTIVE)
            for (Arguments a : HALTS) startHalt((CrashCases.Kind) a.get()[0], (String) a.get()[1]);
    }

    /**
     * Starts the case's command in a child JVM halted right after the first operation of that name, in a directory of
     * its own (Iceberg's metadata holds absolute paths, so COMPACT's starting state is swept there again; MIGRATE's
     * per-run files are plain Parquet, copied).
     */
    static void startHalt(CrashCases.Kind kind, String op) throws Exception {
        CrashCases.Case c = cases.get(kind);
        Path out = tmp.resolve("halt-" + HALTED.size());
        if (kind == CrashCases.Kind.COMPACT) CrashCases.uncompacted(c.grid(), out);
        else if (c.start() != null) CrashCases.copyTree(c.start(), out);
        Path log = tmp.resolve("halt-" + HALTED.size() + ".log");
        HALTED.put(kind + ", " + op, CHILDREN.submit(() -> {
            int status = CrashChild.run(c, out, op, log);
            return new Halted(out, status, Files.readString(log));
        }));
    }

    @AfterAll
    static void stop() {
        CHILDREN.shutdownNow();
        if (spark != null) spark.stop();
    }

    /**
     * Every case is run once uninterrupted, its output copied right after every operation of the {@link #EVERY_K}
     * cases and, in the others, after each kind of metadata operation that no earlier case did (the first rewrite,
     * expiry, ...; an append of a later batch; every operation of every case with {@code -Pcrash-exhaustive}): a
     * copy is the state a process halted
     * at that point leaves, its lock included, since no other thread commits while an operation is counted. From each,
     * the command a user runs next must give the uninterrupted run's tables. Then, once per command, an in-process fault
     * halfway through it: its error names the operation and the command that finishes the work, and the lock is
     * released (its state is the copy's at that operation: the exhaustive run recovers from every copy).
     */
    @Order(1)
    @ParameterizedTest
    @EnumSource(CrashCases.Kind.class)
    void stoppedAfterEachOperationThenRunAgainLosesNothing(CrashCases.Kind kind) throws Exception {
        CrashCases.Case c = cases.get(kind);
        Path w = CrashCases.fresh(c);
        List<String> ops = new ArrayList<>();
        Map<Integer, Path> states = new TreeMap<>();
        CommitPoints.observe(op -> {
            String opKind = CrashCases.kind(op)
                    + (op.startsWith("append ") && ops.contains("append runs") ? ", later batch" : "");
            ops.add(op);
            boolean firstOfKind = COVERED.add(opKind);
            if (CrashChild.EXHAUSTIVE || EVERY_K.contains(kind) || firstOfKind)
                states.put(ops.size(), CrashCases.snapshot(w, tmp.resolve(kind + "-at-" + ops.size())));
        });
        try {
            c.run(w, false);
        } finally {
            CommitPoints.observe(null);
        }
        var expected = CrashCases.rows(w);
        CrashCases.assertNoDuplicates(expected);
        CrashCases.assertNoUnreferencedFiles(w);
        REFERENCE.put(kind, new Reference(expected, ops));
        long t0 = System.nanoTime();
        for (Map.Entry<Integer, Path> s : states.entrySet()) {
            String at = kind + " stopped after operation " + s.getKey() + " (" + ops.get(s.getKey() - 1) + ")";
            CrashCases.restore(s.getValue(), w);
            CrashCases.assertLockLeft(ops.get(s.getKey() - 1), w);
            c.run(w, true);
            CrashCases.assertRows(expected, w, at);
            CrashCases.assertNoUnreferencedFiles(w);
            CrashCases.deleteTree(s.getValue());
        }
        System.err.println("CrashPointTest " + kind + " operations: " + ops);
        System.err.printf(
                "CrashPointTest %s: %d operations, %d of them (%s) stopped at and recovered from in %.1f s%n",
                kind, ops.size(), states.size(), states.keySet(), (System.nanoTime() - t0) / 1e9);

        if (kind == CrashCases.Kind.MULTI || kind == CrashCases.Kind.RESUME) return; // sweeps, as SWEEP
        int k = ops.size() / 2;
        CrashCases.fresh(c);
        long n = CommitPoints.count() + k;
        System.setProperty(RuntimeOptions.CRASH_AFTER.key(), Long.toString(n));
        Stopped stopped;
        try {
            stopped = assertThrows(Stopped.class, () -> c.run(w, false));
        } finally {
            System.clearProperty(RuntimeOptions.CRASH_AFTER.key());
        }
        awaitNoTasks();
        assertInstanceOf(CommitPoints.Crash.class, stopped.getCause());
        assertTrue(stopped.getMessage().contains("operation " + n + " (" + ops.get(k - 1) + ")"), stopped.getMessage());
        assertTrue(stopped.getMessage().endsWith("finish it with " + c.advice(w)), stopped.getMessage());
        // the finally blocks ran: the lock is released, and the state is the copy's at k (recovered from above)
        assertFalse(
                dev.gradsweep.store.OutputLock.held(new dev.gradsweep.store.OutputDir(w.toString())), "lock released");
    }

    /**
     * Crash with a real halt: the command runs as a user runs it, in a JVM of its own, which {@code Runtime.halt}s
     * right after the chosen operation, so no finally block, shutdown hook or lock release runs. The user then sees
     * the lock it left, which the next writer takes over at once (its holder is gone), and runs the same command again (a sweep with
     * --resume); every table must equal an uninterrupted run's. One operation per phase of sweep, compact and
     * migrate ({@link #HALTS}: their children ran in the background since {@link #prepare}); with {@code
     * -Pcrash-exhaustive} every operation of the cases in gradsweep.test.crashHaltCases, one after the other.
     *
     * @param phase the name of the operation to halt after (its first occurrence), "*" for every one in turn
     */
    @Order(2)
    @ParameterizedTest
    @MethodSource("haltPoints")
    void haltedRightAfterAnOperationThenRunAgainLosesNothing(CrashCases.Kind kind, String phase) throws Exception {
        Assumptions.assumeTrue(
                CrashChild.EXHAUSTIVE == phase.equals("*"), "every operation only with -Pcrash-exhaustive");
        Assumptions.assumeTrue(!CrashChild.EXHAUSTIVE || CrashChild.HALT_CASES.contains(kind.name()), "not halted");
        CrashCases.Case c = cases.get(kind);
        Reference ref = REFERENCE.get(kind); // by the states test, which runs first
        var expected = ref.rows();
        List<String> ops = ref.ops();
        assertTrue(phase.equals("*") || ops.contains(phase), phase + " is not among " + ops);
        long t0 = System.nanoTime();
        if (!CrashChild.EXHAUSTIVE) {
            Halted h = HALTED.get(kind + ", " + phase).get(5, TimeUnit.MINUTES);
            assertEquals(CommitPoints.HALT_STATUS, h.status(), kind + " " + phase + ": " + h.said());
            assertTrue(h.said().contains("halting right after " + phase), h.said());
            CrashCases.assertLockLeft(phase, h.out());
            c.run(h.out(), true);
            CrashCases.assertRows(expected, h.out(), kind + " halted after " + phase);
            CrashCases.assertNoUnreferencedFiles(h.out());
            System.err.printf(
                    "CrashPointTest %s halted after %s, recovered in %.1f s%n",
                    kind, phase, (System.nanoTime() - t0) / 1e9);
            return;
        }
        for (int k = 1; k <= ops.size(); k++) {
            Path out = CrashCases.fresh(c);
            Path log = tmp.resolve(kind + "-halt-" + k + ".log");
            int status = CrashChild.run(c, out, Integer.toString(k), log);
            String said = Files.readString(log);
            if (status == 0) { // a multi-batch sweep may commit fewer batches than the reference did
                assertTrue(kind == CrashCases.Kind.MULTI && k > ops.size() - 3, kind + " k=" + k + ": " + said);
                continue;
            }
            assertEquals(CommitPoints.HALT_STATUS, status, kind + " k=" + k + ": " + said);
            assertTrue(said.contains("halting right after"), said);
            CrashCases.assertLockLeft(ops.get(k - 1), out);
            c.run(out, true);
            String at = kind + " halted after operation " + k + " (" + ops.get(k - 1) + ")";
            CrashCases.assertRows(expected, out, at);
            CrashCases.assertNoUnreferencedFiles(out);
        }
        System.err.printf(
                "CrashPointTest %s halted after %s: %d operations, %d halts and recoveries in %.1f s%n",
                kind, phase, ops.size(), ops.size(), (System.nanoTime() - t0) / 1e9);
    }

    static Stream<Arguments> haltPoints() {
        return Stream.concat(HALTS.stream(), Stream.of(CrashCases.Kind.values()).map(k -> Arguments.of(k, "*")));
    }

    /**
     * The reproduction: compaction stopped after it expired the runs table's snapshots and before the
     * others'. The batch tags of steps, params, layers and layer_stalls are then on no runs snapshot; the next
     * compaction must still keep those tables' rows (it deleted them all, and --resume retrained nothing).
     */
    @Order(3)
    @Test
    void compactionStoppedAfterExpiringRunsAloneLosesNoRow() throws Exception {
        CrashCases.Case c = cases.get(CrashCases.Kind.SWEEP);
        Path out = tmp.resolve("runs-expired-alone");
        CrashCases.deleteTree(out);
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

    /**
     * {@code --overwrite} stopped after it dropped the runs table (it drops runs first): the other tables still hold
     * the old rows. The next sweep must drop them, not load them and add the retrained runs' rows beside them.
     */
    @Order(4)
    @Test
    void anOverwriteStoppedAfterDroppingRunsLeavesNoRowToComeBack() throws Exception {
        Path w = CrashCases.fresh(cases.get(CrashCases.Kind.RESUME)); // a compacted one-run output
        CrashCases.deleteTree(w.resolve("runs"));
        cases.get(CrashCases.Kind.SWEEP).run(w, true);
        CrashCases.assertRows(REFERENCE.get(CrashCases.Kind.SWEEP).rows(), w, "after an interrupted --overwrite");
        CrashCases.assertNoUnreferencedFiles(w);
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
