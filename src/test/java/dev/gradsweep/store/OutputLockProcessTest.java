package dev.gradsweep.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.sweep.RunExecutor;
import dev.gradsweep.testkit.ChildJvm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;

/**
 * One writer, provably (issue 27), between processes: writers in JVMs of their own ({@link LockChild}) race for stale
 * locks, and one is paused with SIGSTOP and overtaken. Stale intervals of 300 ms (race) and 1 s, not a minute.
 */
class OutputLockProcessTest extends LockTestBase {
    static final int ROUNDS = 24, STEPS = 4;

    /**
     * Two processes are let go at the same moment at a stale lock, {@value #ROUNDS} times: a lock of another host
     * that stopped beating, a lock of a process of this host that is gone, an older gradsweep's {@code _lock} of
     * another host. The old lock's delete-then-create let both win; here at most one holds it at any time.
     */
    @Test
    void twoProcessesRacingForAStaleLockNeverBothHoldIt() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("out")), sync = Files.createDirectories(tmp.resolve("sync"));
        long gone = new ProcessBuilder("true").start().onExit().get().pid();
        String here = InetAddress.getLocalHost().getHostName();
        List<String> opts = List.of(
                "-D" + RuntimeOptions.LOCK_STALE.key() + "=300", "-D" + RuntimeOptions.LOCK_HEARTBEAT.key() + "=50");
        List<Process> children = new ArrayList<>();
        for (String id : List.of("A", "B"))
            children.add(
                    child(opts, sync.resolve(id + ".log"), "race", dir.toString(), id, "" + ROUNDS, sync.toString()));
        int contended = 0;
        try {
            for (int r = 1; r <= ROUNDS; r++) {
                String since = " since " + Instant.now() + "\ntoken stale\n";
                switch (r % 3) {
                    case 0 -> Files.writeString(dir.resolve("_lock"), "sweep old by " + ELSEWHERE + " pid 1" + since);
                    case 1 -> Files.writeString(
                            lockFile(dir, newest(dir) + 1), "sweep x by " + ELSEWHERE + " pid 1" + since);
                    default -> Files.writeString(
                            lockFile(dir, newest(dir) + 1), "sweep x by " + here + " pid " + gone + since);
                }
                Files.writeString(sync.resolve("go." + r), "");
                Map<String, String> outcome = new HashMap<>();
                for (String id : List.of("A", "B"))
                    outcome.put(id, await(sync.resolve("done." + r + "." + id), children, sync));
                long won =
                        outcome.values().stream().filter(o -> o.equals("won")).count();
                assertFalse(
                        outcome.toString().contains("lost "), "round " + r + ": a winner lost its lock: " + outcome);
                assertTrue(won >= 1, "round " + r + ": the stale lock is taken over: " + outcome);
                if (won == 1) {
                    contended++;
                    String winner = outcome.get("A").equals("won") ? "A" : "B";
                    String loser = winner.equals("A") ? "B" : "A";
                    assertTrue(
                            outcome.get(loser).contains("is being written: race " + winner + " by"),
                            "round " + r + ": the loser names the winner: " + outcome.get(loser));
                }
                assertFalse(
                        Files.exists(dir.resolve("_lock")), "round " + r + ": an old-style lock taken over is removed");
                assertFalse(OutputLock.held(new OutputDir(dir.toString())), "round " + r + ": released");
            }
        } finally {
            children.forEach(Process::destroyForcibly);
        }
        // the log shows every holding: entries and exits strictly alternate, one holder at a time
        List<String> log = Files.readAllLines(sync.resolve("log"));
        String inside = null;
        int holdings = 0;
        for (String line : log) {
            assertFalse(line.contains("OVERLAP"), "two holders at once: " + log);
            String who = line.substring(0, line.lastIndexOf(' '));
            if (line.endsWith(" enter")) {
                assertEquals(null, inside, "entered while " + inside + " held the lock: " + log);
                inside = who;
                holdings++;
            } else {
                assertEquals(inside, who, "left without holding: " + log);
                inside = null;
            }
        }
        assertTrue(holdings >= ROUNDS, "every round had a holder");
        System.out.println("lock race: " + ROUNDS + " rounds, " + contended + " won by one contender while the other"
                + " was refused, " + (holdings - ROUNDS) + " extra holdings after a release");
    }

    /**
     * A compaction paused (SIGSTOP) past the stale interval while it holds the lock, overtaken by a sweep that writes
     * data files not yet committed: resumed, it must not remove them as orphans, nor release the sweep's lock.
     */
    @Test
    void aWriterPausedPastTheStaleIntervalDeletesNothingWhenResumedAndLeavesTheNewLock() throws Exception {
        Path out = tmp.resolve("out"), sync = Files.createDirectories(tmp.resolve("sync"));
        OutputDir dir = new OutputDir(out.toString());
        Process paused = child(
                List.of(
                        "-D" + RuntimeOptions.LOCK_STALE.key() + "=1000",
                        "-D" + RuntimeOptions.LOCK_HEARTBEAT.key() + "=100"),
                sync.resolve("paused.log"),
                "hold",
                out.toString(),
                sync.toString());
        try {
            await(sync.resolve("holding"), List.of(paused), sync);
            signal("STOP", paused);
            while (!procState(paused.pid()).equals("T")) Thread.sleep(5);

            OutputLock sweep =
                    OutputLock.acquire(dir, ResultTables.CatalogSpec.of(dir.location(), Map.of()), "sweep q", err);
            assertTrue(errBytes.toString().contains("compact by "), "the paused holder was watched: " + errBytes);
            assertEquals(List.of("_lock.2"), lockFiles(out), "generation 2 took over; generation 1 removed");
            ResultTables tables = ResultTables.open(dir).lockedBy(sweep);
            RunConfig rc = GridSpec.parse(GRID, "lock-test grid").expand().get(0);
            List<TaskFile> files =
                    RunExecutor.run(rc, null, tables.layout(), 0, 1).files(); // not committed yet

            signal("CONT", paused);
            Files.writeString(sync.resolve("go"), "");
            String result = await(sync.resolve("result"), List.of(paused), sync);
            assertTrue(paused.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the paused writer ended");
            assertTrue(result.startsWith("lost compact stopped before removing orphan files"), result);
            assertTrue(result.contains("sweep q by ") && result.contains("nothing was deleted"), result);
            for (TaskFile f : files)
                assertTrue(
                        Files.exists(Path.of(URI.create(f.file().location()))),
                        "kept: " + f.file().location());
            assertEquals(List.of("_lock.2"), lockFiles(out), "the overtaken writer released nothing of the new lock");

            sweep.verify("commit"); // still ours
            tables.commit(files, "b1");
            Map<Table, Long> rows = new HashMap<>();
            for (Table t : Table.values()) {
                org.apache.iceberg.Table it = tables.table(t);
                it.refresh();
                long n = 0;
                try (CloseableIterable<FileScanTask> scan = it.newScan().planFiles()) {
                    for (FileScanTask task : scan) {
                        assertTrue(
                                Files.size(Path.of(URI.create(task.file().location())))
                                        == task.file().fileSizeInBytes(),
                                "whole file: " + task.file().location());
                        n += task.file().recordCount();
                    }
                }
                rows.put(t, n);
            }
            assertEquals(1L, rows.get(Table.RUNS));
            assertEquals((long) STEPS, rows.get(Table.STEPS), "one row per step");
            for (Table t : Table.values())
                assertEquals(
                        files.stream()
                                .filter(f -> f.table() == t)
                                .mapToLong(f -> f.file().recordCount())
                                .sum(),
                        rows.get(t),
                        t + ": every row the sweep wrote");
            sweep.close();
            assertEquals(List.of("_lock.2", "_lock.2.released"), lockFiles(out));
        } finally {
            paused.destroyForcibly();
        }
    }

    static final String GRID = String.join(
            "\n",
            "name: lock-test",
            "task: {kind: teacher, inputs: 4, samples: 32}",
            "train: {steps: " + STEPS + ", batch: 16, optimizer: sgd, lr: 0.01, dtype: float32}",
            "seeds: [1]",
            "axes:",
            "  depth: [2]",
            "  width: [4]",
            "  activation: [relu]",
            "  init: [xavier]",
            "");

    private static long newest(Path dir) throws IOException {
        long n = 0;
        for (String f : lockFiles(dir))
            if (f.matches("_lock\\.\\d+.*")) n = Math.max(n, Long.parseLong(f.split("\\.")[1]));
        return n;
    }

    /** A JVM on the test classpath running {@link LockChild}, its output in {@code log}. */
    private static Process child(List<String> props, Path log, String... args) throws IOException {
        return new ProcessBuilder(ChildJvm.command("-Xmx256m", props, LockChild.class.getName(), List.of(args)))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** The file's text once it exists; fails with the children's logs if one ends first or a minute passes. */
    private static String await(Path p, List<Process> children, Path sync) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(p)) {
            boolean ended = children.stream().anyMatch(c -> !c.isAlive());
            if (ended || System.nanoTime() > deadline) {
                Thread.sleep(200); // the file may come just before the end
                if (Files.exists(p)) break;
                StringBuilder logs = new StringBuilder();
                try (Stream<Path> s = Files.list(sync)) {
                    for (Path f : s.filter(f -> f.toString().endsWith(".log")).toList())
                        logs.append(f.getFileName()).append(":\n").append(Files.readString(f));
                }
                throw new AssertionError("no " + p.getFileName() + (ended ? " (a child ended)" : "") + "\n" + logs);
            }
            Thread.sleep(2);
        }
        return Files.readString(p);
    }

    private static void signal(String sig, Process p) throws Exception {
        assertEquals(
                0,
                new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid()))
                        .start()
                        .waitFor());
    }

    private static String procState(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }
}
