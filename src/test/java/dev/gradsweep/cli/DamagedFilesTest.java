package dev.gradsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output whose tables reference a data file that is truncated or missing: {@code sql} and {@code report} stop with
 * one paragraph naming the table and the file and what to do (exit 1); {@code compact} and {@code sweep --resume}
 * delete nothing. One output is swept once; each case restores it from a copy at the same path (Iceberg's metadata
 * records absolute paths) and damages it.
 */
class DamagedFilesTest extends CapturedStreams {
    static final String GRID = FullDiskTest.GRID.replace("seeds: [1, 2]", "seeds: [1]");

    @TempDir
    static Path tmp;

    static Path out, pristine, grid;

    @BeforeAll
    static void sweepOnce() throws IOException {
        grid = Files.writeString(tmp.resolve("g.yaml"), GRID);
        out = tmp.resolve("out");
        assertEquals(
                0,
                Main.execute(
                        "sweep",
                        "--grid",
                        grid.toString(),
                        "--out",
                        out.toString(),
                        "--no-compact",
                        "--quiet",
                        "--max-parallel",
                        "1"));
        pristine = tmp.resolve("pristine");
        copy(out, pristine);
    }

    @BeforeEach
    void restore() throws IOException {
        deleteAll(out);
        copy(pristine, out);
    }

    @Test
    void sqlAndReportOnATruncatedAndAMissingFileNameEachTableAndFile() throws IOException {
        Path truncated = liveFile(Table.PARAMS), missing = liveFile(Table.STEPS);
        long size = Files.size(truncated), missingSize = Files.size(missing);
        try (RandomAccessFile r = new RandomAccessFile(truncated.toFile(), "rw")) {
            r.setLength(size / 2); // a copy cut short
        }
        Files.delete(missing);
        String[] damage = {
            "table params: file:" + truncated + " has " + size / 2 + " bytes, Iceberg recorded " + size
                    + " (truncated)",
            "table steps: file:" + missing + " is missing (Iceberg recorded " + missingSize + " bytes)"
        };
        assertEquals(
                1,
                Main.execute(
                        "sql", "--in", out.toString(), "--master", "local[1]", "-e", "SELECT count(*) FROM params"));
        assertDamageMessage(takeErr(), "sql", damage);
        String report = tmp.resolve("report").toString();
        assertEquals(1, Main.execute("report", "--in", out.toString(), "--to", report, "--master", "local[1]"));
        assertDamageMessage(takeErr(), "report", damage);
    }

    @Test
    void compactAndResumeDeleteNothingOnADamagedOutput() throws IOException {
        Path params = liveFile(Table.PARAMS), runs = liveFile(Table.RUNS);
        try (RandomAccessFile r = new RandomAccessFile(params.toFile(), "rw")) {
            r.setLength(100);
        }
        Files.delete(runs);
        // debris a cleanup would delete: an unreferenced data file, as a killed task attempt leaves
        Files.writeString(params.resolveSibling("orphan-params.parquet"), "debris");
        Map<String, Long> before = listing(out);

        assertEquals(1, Main.execute("compact", "--in", out.toString(), "--master", "local[1]"));
        assertDamageMessage(takeErr(), "compact", "table runs: file:" + runs + " is missing");
        assertEquals(before, listing(out), "compact deleted or changed nothing");

        Path more = Files.writeString(tmp.resolve("more.yaml"), FullDiskTest.GRID); // one seed more to train
        assertEquals(
                1,
                Main.execute(
                        "sweep",
                        "--grid",
                        more.toString(),
                        "--out",
                        out.toString(),
                        "--resume",
                        "--quiet",
                        "--max-parallel",
                        "1"));
        assertDamageMessage(takeErr(), "sweep", "table params: file:" + params + " has 100 bytes");
        assertEquals(before, listing(out), "sweep --resume deleted or changed nothing");
    }

    static void assertDamageMessage(String err, String command, String... expected) {
        String line = "gradsweep " + command + ": ";
        assertTrue(err.contains(line), err);
        String paragraph = err.substring(err.indexOf(line)).lines().findFirst().orElseThrow();
        for (String e : expected) assertTrue(paragraph.contains(e), () -> e + " not in: " + paragraph);
        assertTrue(paragraph.contains("Restore"), paragraph);
        assertTrue(paragraph.contains("Nothing was deleted or changed"), paragraph);
        assertFalse(err.substring(err.indexOf(line)).contains("\tat "), "no stack trace: " + err);
    }

    /** The first data file the table's current snapshot references. */
    static Path liveFile(Table t) throws IOException {
        try (var tasks = ResultTables.open(new OutputDir(out.toString()))
                .table(t)
                .newScan()
                .planFiles()) {
            return Path.of(URI.create(tasks.iterator().next().file().location()));
        }
    }

    /** Every file under {@code dir} but the lock's (each writer takes a new generation), with its size. */
    static Map<String, Long> listing(Path dir) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator)
                if (!dev.gradsweep.store.OutputLock.isLockFile(p.getFileName().toString()))
                    m.put(dir.relativize(p).toString(), Files.size(p));
        }
        return m;
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator)
                Files.copy(p, to.resolve(from.relativize(p).toString()));
        }
    }

    static void deleteAll(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(p);
        }
    }
}
