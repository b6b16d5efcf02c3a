package dev.gradsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.store.FullDiskFileSystem;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import dev.gradsweep.store.TableRows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up under a sweep (the executors' data files, then the driver's metadata commits) and under a
 * compaction: the command stops with one paragraph naming the output and the full disk (exit 1), what was committed
 * stays readable, and once space is freed the command the message names completes to the rows of a sweep that never
 * ran out. The disk is {@link FullDiskFileSystem}: Hadoop's local file system failing as a full one does.
 */
class FullDiskTest extends CapturedStreams {
    static final String GRID = "name: disk-test\n"
            + "task: {kind: teacher, inputs: 5, samples: 64}\n"
            + "train: {steps: 5, batch: 16, optimizer: adam, lr: 0.01, dtype: float32}\n"
            + "seeds: [1, 2]\n"
            + "axes: {depth: [3], width: [6], activation: [sigmoid, relu], init: [xavier]}\n";

    @TempDir
    static Path tmp;

    static Path grid;
    /** An uninterrupted sweep: its rows are what every interrupted one must end with. */
    static String reference;

    static Map<Table, List<String>> expected;
    static long taskBytes;

    @BeforeAll
    static void sweepOnce() throws IOException {
        grid = Files.writeString(tmp.resolve("g.yaml"), GRID);
        reference = FullDiskFileSystem.uri(tmp.resolve("reference"));
        assertEquals(0, Main.execute(sweep(reference)));
        expected = TableRows.committed(reference);
        assertEquals(4, expected.get(Table.RUNS).size());
        taskBytes = sizes(tmp.resolve("reference")).values().stream()
                        .mapToLong(Long::longValue)
                        .sum()
                / 4; // one task per run (--no-stack): its files' bytes
    }

    static String[] sweep(String out, String... more) {
        return Stream.concat(
                        Stream.of(
                                "sweep",
                                "--grid",
                                grid.toString(),
                                "--out",
                                out,
                                "--no-stack",
                                "--no-compact",
                                "--quiet",
                                "--max-parallel",
                                "1"),
                        Stream.of(more))
                .toArray(String[]::new);
    }

    @AfterEach
    void freeSpace() {
        FullDiskFileSystem.free();
    }

    @Test
    void aSweepThatFillsTheDiskStopsWithAMessageKeepsWhatItCommittedAndResumesToTheSameRows() throws IOException {
        String out = FullDiskFileSystem.uri(tmp.resolve("sweep"));
        // the executors' data files: room for one task's files and a half
        FullDiskFileSystem.fill("/data/", taskBytes * 3 / 2);
        assertEquals(1, Main.execute(sweep(out)));
        assertFullDiskMessage(takeErr(), "sweep", out, "--resume");
        Set<String> kept = committedRuns(out);
        assertEquals(1, kept.size(), "the first task committed, the second ran out of space");
        assertEquals(TableRows.only(expected, kept), TableRows.committed(out), "committed rows stay readable");

        // a little space freed, not enough: the driver's metadata commits of the resumed sweep run out
        FullDiskFileSystem.fill("/metadata/", 20_000);
        assertEquals(1, Main.execute(sweep(out, "--resume")));
        assertFullDiskMessage(takeErr(), "sweep", out, "--resume");
        assertEquals(TableRows.only(expected, kept), TableRows.committed(out), "nothing committed is lost");

        FullDiskFileSystem.free();
        assertEquals(0, Main.execute(sweep(out, "--resume")), this::takeErr);
        assertEquals(expected, TableRows.committed(out), "the resumed sweep's rows are the uninterrupted sweep's");
        assertEquals(everReferenced(out), dataFiles(tmp.resolve("sweep")), "no file of the failed attempts is left");
    }

    @Test
    void aCompactionThatFillsTheDiskStopsWithAMessageLosesNothingAndCompletesOnceSpaceIsFreed() throws IOException {
        String out = reference; // its rows are already read
        Path dir = tmp.resolve("reference");
        Map<String, Long> before = sizes(dir);
        FullDiskFileSystem.fill("/data/", taskBytes / 2); // the rewritten files do not fit
        assertEquals(1, Main.execute("compact", "--in", out, "--master", "local[1]"));
        assertFullDiskMessage(takeErr(), "compact", out, "bin/gradsweep compact --in " + out);
        assertEquals(expected, TableRows.committed(out), "every row is still there");
        Map<String, Long> after = sizes(dir);
        after.keySet().retainAll(before.keySet());
        assertEquals(before, after, "every data file of the tables is still there, whole");

        FullDiskFileSystem.free();
        assertEquals(0, Main.execute("compact", "--in", out, "--master", "local[1]"), this::takeErr);
        assertEquals(expected, TableRows.committed(out));
        for (Table t : Table.values())
            assertTrue(
                    ResultTables.open(new OutputDir(out)).table(t).currentSnapshot() == null
                            || referenced(out).stream()
                                            .filter(f -> f.contains("/" + t.dir + "/"))
                                            .count()
                                    <= 1,
                    t + " compacted into one file");
    }

    static void assertFullDiskMessage(String err, String command, String out, String next) {
        assertTrue(
                err.contains("gradsweep " + command + ": a disk is full (No space left on device) while writing output "
                        + out),
                err);
        assertTrue(err.contains(next), err);
        assertTrue(err.contains("Everything committed before stays in the tables"), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
        assertFalse(err.contains("Exception"), "no exception's name: " + err);
    }

    static Set<String> committedRuns(String out) {
        return ResultTables.open(new OutputDir(out)).committedRuns();
    }

    /** Every data file the tables' current snapshots reference, as local paths. */
    static Set<String> referenced(String out) throws IOException {
        ResultTables t = ResultTables.open(new OutputDir(out));
        Set<String> files = new java.util.TreeSet<>();
        for (Table table : Table.values())
            try (var tasks = t.table(table).newScan().planFiles()) {
                for (var f : tasks)
                    files.add(java.net.URI.create(f.file().location()).getPath());
            }
        return files;
    }

    /**
     * Every data file any snapshot added, as local paths: without a compaction, the files of a half-committed batch
     * that the resume removed from the tables stay on disk until the snapshots that added them expire.
     */
    static Set<String> everReferenced(String out) {
        ResultTables t = ResultTables.open(new OutputDir(out));
        Set<String> files = new java.util.TreeSet<>();
        for (Table table : Table.values())
            for (var s : t.table(table).snapshots())
                for (var f : s.addedDataFiles(t.table(table).io()))
                    files.add(java.net.URI.create(f.location()).getPath());
        return files;
    }

    static Set<String> dataFiles(Path dir) throws IOException {
        return sizes(dir).keySet().stream()
                .filter(p -> p.contains("/data/"))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Every data file under {@code dir} and its size. */
    static Map<String, Long> sizes(Path dir) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator)
                if (p.toString().endsWith(".parquet")) m.put(p.toAbsolutePath().toString(), Files.size(p));
        }
        return m;
    }
}
