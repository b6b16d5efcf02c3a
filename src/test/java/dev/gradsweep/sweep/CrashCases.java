package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.OutputLock;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;
import org.apache.spark.sql.SparkSession;

/**
 * The crash tests' cases: the state each starts from, the command that is stopped, the command a user runs next
 * (what the error names), and what an uninterrupted run leaves, to compare with row for row.
 */
final class CrashCases {
    /** Columns whose values differ between two trainings of one configuration: timings. */
    static final Set<String> TIMING = Set.of("wall_ms", "ms_per_step", "started_at", "finished_at", "step_ms");

    enum Kind {
        /** A one-run sweep: one batch, one file per table. */
        SWEEP,
        /** Three runs, one per task, a batch per finished task (gradsweep.commitRuns=1): several batches. */
        MULTI,
        /** {@code --resume} of SWEEP's output with a second seed: one batch more, appended to compacted tables. */
        RESUME,
        /** {@code compact} of MULTI's runs swept with --no-compact: several files per table to rewrite. */
        COMPACT,
        /** {@code migrate} of COMPACT's runs in the per-run layout, beside the steps of a run never committed. */
        MIGRATE
    }

    /**
     * One case: the directory it writes ({@code work}) and a copy of the state it starts from ({@code start}, null:
     * none). Iceberg's metadata names every file by its absolute path, so a state is only ever restored to the path
     * it was made at.
     */
    record Case(Kind kind, Path grid, Path work, Path start) {
        Map<String, String> props() {
            return kind == Kind.MULTI || kind == Kind.COMPACT
                    ? Map.of(RuntimeOptions.COMMIT_RUNS.key(), "1")
                    : Map.of();
        }

        /** The command, as a user types it (the real-halt test runs it in a JVM of its own). */
        List<String> args(Path out) {
            return switch (kind) {
                case SWEEP -> List.of("sweep", "--grid", grid.toString(), "--out", out.toString(), "--quiet");
                case MULTI -> List.of(
                        "sweep", "--grid", grid.toString(), "--out", out.toString(), "--quiet", "--no-stack");
                case RESUME -> List.of(
                        "sweep", "--grid", grid.toString(), "--out", out.toString(), "--quiet", "--resume");
                case COMPACT -> List.of("compact", "--in", out.toString());
                case MIGRATE -> List.of("migrate", "--in", out.toString());
            };
        }

        /** What the error of a stopped command tells the user to run, and what the test then runs. */
        String advice(Path out) {
            return switch (kind) {
                case SWEEP, MULTI, RESUME -> "bin/gradsweep sweep --grid " + grid + " --out " + out + " --resume";
                case COMPACT -> "bin/gradsweep compact --in " + out;
                case MIGRATE -> "bin/gradsweep migrate --in " + out;
            };
        }

        /** Runs the command in this JVM (in its Spark session); {@code resume}: the command the advice names. */
        void run(Path out, boolean resume) throws Exception {
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
            props().forEach(System::setProperty);
            try {
                switch (kind) {
                    case SWEEP, MULTI, RESUME -> SweepDriver.run(
                            new SweepDriver.Options(
                                    grid.toString(),
                                    out.toString(),
                                    resume || kind == Kind.RESUME,
                                    false,
                                    null,
                                    0,
                                    kind != Kind.MULTI,
                                    true),
                            quiet);
                    case COMPACT -> Maintenance.compact(out.toString(), null, quiet);
                    case MIGRATE -> Maintenance.migrate(out.toString(), null, quiet);
                }
            } finally {
                props().keySet().forEach(System::clearProperty);
            }
        }
    }

    /** The Spark session every command of a test class runs in: a sweep's, on local[2]. */
    static SparkSession session(String name) {
        return SparkSession.builder()
                .config(SweepDriver.sparkConf(
                        new SweepDriver.Options("unused", "unused", false, false, "local[2]", 0), name))
                .getOrCreate();
    }

    static String grid(int seeds) {
        return String.join(
                "\n",
                "name: crash",
                "task: {kind: teacher, inputs: 4, samples: 32}",
                "train: {steps: 3, batch: 16}",
                "seeds: ["
                        + Stream.iterate(1, i -> i + 1)
                                .limit(seeds)
                                .map(String::valueOf)
                                .collect(Collectors.joining(", "))
                        + "]",
                "axes: {depth: [2], width: [4], activation: [tanh], init: [xavier]}",
                "");
    }

    /** Builds every case's starting state under {@code dir} (sweeps, a per-run layout written with {@code spark}). */
    static Map<Kind, Case> prepare(Path dir, SparkSession spark) throws Exception {
        Path g1 = Files.writeString(dir.resolve("g1.yaml"), grid(1));
        Path g2 = Files.writeString(dir.resolve("g2.yaml"), grid(2));
        Path g3 = Files.writeString(dir.resolve("g3.yaml"), grid(3));
        Map<Kind, Case> cases = new EnumMap<>(Kind.class);
        cases.put(Kind.SWEEP, new Case(Kind.SWEEP, g1, dir.resolve("sweep"), null));
        cases.put(Kind.MULTI, new Case(Kind.MULTI, g3, dir.resolve("multi"), null));
        Path resume = dir.resolve("resume");
        cases.get(Kind.SWEEP).run(resume, false);
        cases.put(Kind.RESUME, new Case(Kind.RESUME, g2, resume, saved(resume)));
        Path compact = uncompacted(g3, dir.resolve("compact"));
        cases.put(Kind.COMPACT, new Case(Kind.COMPACT, g3, compact, saved(compact)));
        Path migrate = dir.resolve("migrate");
        String prefix = SqlViews.registerTables(spark, compact.toString());
        LegacyLayout.write(spark, prefix, migrate, dir.resolve("scratch"));
        LegacyLayout.file(
                spark.table(prefix + "steps")
                        .withColumn("run_id", org.apache.spark.sql.functions.lit("0000uncommitted")),
                dir.resolve("scratch"),
                migrate.resolve("steps/0000uncommitted.parquet"));
        cases.put(Kind.MIGRATE, new Case(Kind.MIGRATE, g3, migrate, saved(migrate)));
        return cases;
    }

    /** COMPACT's starting state at {@code out}: the grid's runs swept without compaction, a batch per run. */
    static Path uncompacted(Path grid, Path out) throws Exception {
        System.setProperty(RuntimeOptions.COMMIT_RUNS.key(), "1");
        try {
            SweepDriver.run(
                    new SweepDriver.Options(grid.toString(), out.toString(), false, false, null, 0, false, false),
                    new PrintStream(new ByteArrayOutputStream()));
        } finally {
            System.clearProperty(RuntimeOptions.COMMIT_RUNS.key());
        }
        return out;
    }

    /** A copy of {@code dir} beside it, to restore it from ({@link #restore}). */
    static Path saved(Path dir) throws IOException {
        Path copy = dir.resolveSibling(dir.getFileName() + ".saved-" + System.nanoTime());
        copyTree(dir, copy);
        return copy;
    }

    /** {@code dir} as it was when {@code copy} was saved (nothing, for null). */
    static Path restore(Path copy, Path dir) throws IOException {
        deleteTree(dir);
        if (copy != null) copyTree(copy, dir);
        return dir;
    }

    /** The case's working directory in its starting state. */
    static Path fresh(Case c) throws IOException {
        return restore(c.start(), c.work());
    }

    /** An operation's kind: its name without table names ("append steps" and "append runs" are both "append"). */
    static String kind(String op) {
        Set<String> tables = Stream.of(Table.values()).map(t -> t.dir).collect(Collectors.toSet());
        return Stream.of(op.split(" ")).filter(w -> !tables.contains(w)).collect(Collectors.joining(" "));
    }

    /** Every table's rows as text, timing columns left out, sorted: equal lists are equal tables, duplicates included. */
    static Map<Table, List<String>> rows(Path out) throws IOException {
        ResultTables t = ResultTables.open(
                new OutputDir(out.toString()),
                ResultTables.CatalogSpec.of(new OutputDir(out.toString()).location(), Map.of()),
                false);
        Map<Table, List<String>> all = new EnumMap<>(Table.class);
        for (Table table : Table.values()) {
            org.apache.iceberg.Table it = t.table(table);
            List<String> rows = new ArrayList<>();
            if (it == null) continue;
            try (CloseableIterable<Record> rs = IcebergGenerics.read(it).build()) {
                for (Record r : rs) {
                    StringBuilder sb = new StringBuilder();
                    for (Types.NestedField f : it.schema().columns())
                        if (!TIMING.contains(f.name()))
                            sb.append(f.name())
                                    .append('=')
                                    .append(r.getField(f.name()))
                                    .append(' ');
                    rows.add(sb.toString());
                }
            }
            rows.sort(null);
            all.put(table, rows);
        }
        return all;
    }

    /** Asserts that {@code out}'s tables hold exactly {@code expected}'s rows. */
    static void assertRows(Map<Table, List<String>> expected, Path out, String what) throws IOException {
        Map<Table, List<String>> actual = rows(out);
        for (Table t : Table.values())
            assertEquals(expected.get(t), actual.get(t), () -> what + ": table " + t.dir + " differs");
    }

    /** Each table's (run_id, step, layer, param, t) occurs once: the reference has no duplicate to hide. */
    static void assertNoDuplicates(Map<Table, List<String>> rows) {
        for (Map.Entry<Table, List<String>> e : rows.entrySet()) {
            Set<String> keys = new TreeSet<>();
            for (String r : e.getValue()) {
                String key = Stream.of(r.split(" "))
                        .filter(kv -> kv.matches("(run_id|step|layer|param|t|from_output)=.*"))
                        .collect(Collectors.joining(" "));
                assertTrue(keys.add(key), () -> e.getKey().dir + ": duplicate " + key);
            }
        }
    }

    /**
     * After a completed compaction: every file under the tables is one that Iceberg references (data files of the
     * snapshots, manifests, manifest lists, the metadata files and version hint), and only one snapshot is left.
     */
    static void assertNoUnreferencedFiles(Path out) throws IOException {
        OutputDir o = new OutputDir(out.toString());
        ResultTables t = ResultTables.open(o, ResultTables.CatalogSpec.of(o.location(), Map.of()), false);
        for (Table table : Table.values()) {
            org.apache.iceberg.Table it = t.table(table);
            Set<String> referenced = new TreeSet<>();
            List<Snapshot> snapshots = new ArrayList<>();
            it.snapshots().forEach(snapshots::add);
            assertTrue(snapshots.size() <= 1, table.dir + ": " + snapshots.size() + " snapshots after compaction");
            for (Snapshot s : snapshots) {
                referenced.add(path(s.manifestListLocation()));
                for (ManifestFile m : s.allManifests(it.io())) referenced.add(path(m.path()));
            }
            try (var tasks = it.newScan().planFiles()) {
                for (var f : tasks) referenced.add(path(f.file().location()));
            }
            for (String m : ReachableFileUtil.metadataFileLocations(it, false)) referenced.add(path(m));
            referenced.add(path(ReachableFileUtil.versionHintLocation(it)));
            Set<String> onDisk = new TreeSet<>();
            try (Stream<Path> s = Files.walk(out.resolve(table.dir))) {
                s.filter(Files::isRegularFile)
                        .filter(p -> !p.getFileName().toString().endsWith(".crc"))
                        .forEach(p -> onDisk.add(p.toAbsolutePath().toString()));
            }
            assertEquals(referenced, onDisk, table.dir + ": files on disk = files Iceberg references");
        }
    }

    private static String path(String location) {
        return new org.apache.hadoop.fs.Path(location).toUri().getPath();
    }

    /**
     * A writer stopped after {@code op} leaves its lock unreleased unless {@code op} was the release itself. Its holder
     * is gone (a halted JVM on this host, or this JVM, which no longer holds that lock), so the recovery that follows
     * takes it over at once; a live holder's lock (busy) is OutputLockTest's and OutputLockProcessTest's.
     */
    static void assertLockLeft(String op, Path out) throws IOException {
        assertEquals(
                !op.startsWith("lock release"),
                OutputLock.held(new dev.gradsweep.store.OutputDir(out.toString())),
                "a writer stopped after '" + op + "' leaves its lock unreleased, and only then");
    }

    /**
     * A copy of {@code dir} as it is now, at {@code to}, while the writer waits (it is called from the writer's
     * thread); executors may still be writing files, which are copied as far as they got, as a halt leaves them.
     */
    static Path snapshot(Path dir, Path to) {
        try {
            deleteTree(to);
            copyTree(dir, to);
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                try {
                    if (Files.isDirectory(p)) Files.createDirectories(q);
                    else Files.copy(p, q);
                } catch (java.nio.file.NoSuchFileException gone) {
                    // deleted while copying (a task's temporary file): not part of the state
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
