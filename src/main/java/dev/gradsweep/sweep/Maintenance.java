package dev.gradsweep.sweep;

import dev.gradsweep.analysis.Schemas;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.store.CommitPoints;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.OutputLock;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** {@code gradsweep compact} and {@code gradsweep migrate}: table maintenance outside a sweep, under the output's lock. */
public final class Maintenance {
    private Maintenance() {}

    /**
     * Compacts an output's tables (after repairing a half-committed batch of a killed sweep, and completing the
     * layer_stalls table of an output written by an older gradsweep).
     */
    public static Compaction.Report compact(String dir, String master, PrintStream err) throws IOException {
        OutputDir out = new OutputDir(dir);
        SparkConf conf = conf(master, "gradsweep compact");
        ResultTables.CatalogSpec spec = ResultTables.CatalogSpec.of(out.location(), SweepDriver.confMap(conf));
        checkIn(out, dir);
        if (ResultTables.legacy(out))
            throw new BadInputException("--in " + dir
                    + " holds results in the per-run layout of an earlier gradsweep; convert it with: bin/gradsweep migrate --in "
                    + dir);
        if (!ResultTables.exists(out, spec))
            throw new BadInputException("--in " + dir + ": no result tables to compact");
        try (OutputLock lock = OutputLock.acquire(out, spec, "compact", err)) {
            // the other tables exist: only layer_stalls may not
            ResultTables tables = ResultTables.open(out, spec, true).lockedBy(lock);
            dev.gradsweep.store.DataFileCheck.require(tables); // damaged files: stop before anything is deleted
            int repaired = tables.repair();
            if (repaired > 0)
                err.println("removed " + repaired + " data files of a batch whose commit was interrupted");
            boolean shared = Sessions.running();
            SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
            try {
                StallsBackfill.complete(spark, tables, dir, err);
                return Compaction.compact(spark, tables);
            } finally {
                if (!shared) spark.stop();
            }
        } catch (RuntimeException e) {
            throw Stopped.advise(e, "compact", "bin/gradsweep compact --in " + dir);
        }
    }

    /**
     * Converts an output in the per-run layout ({@code <out>/<table>/<run_id>.parquet}) into the Iceberg tables:
     * the committed runs' rows are appended (steps, params, layers, then runs) and the tables marked migrated, the
     * per-run files deleted (runs' last, so the output reads as the per-run layout until the last is gone), the
     * tables compacted. Rerunnable: a rerun before the mark drops the tables the interrupted migration left and starts
     * again from the per-run files, all still there; after it, it only finishes the deletions, the layer_stalls
     * backfill and the compaction.
     */
    public static long migrate(String dir, String master, PrintStream err) throws Exception {
        OutputDir out = new OutputDir(dir);
        SparkConf conf = conf(master, "gradsweep migrate");
        ResultTables.CatalogSpec spec = ResultTables.CatalogSpec.of(out.location(), SweepDriver.confMap(conf));
        checkIn(out, dir);
        boolean appended = ResultTables.migrated(out, spec);
        if (!appended && !ResultTables.legacy(out))
            throw new BadInputException("--in " + dir + ": no results in the per-run layout (no "
                    + out.path(Table.RUNS.dir) + "/*.parquet); nothing to migrate");
        try (OutputLock lock = OutputLock.acquire(out, spec, "migrate", err)) {
            if (!appended && ResultTables.anyTable(out, spec)) {
                err.println("dropping the tables of an interrupted migration; the per-run files are still complete");
                lock.verify("dropping the tables of an interrupted migration");
                ResultTables.dropAll(out, spec);
            }
            ResultTables tables = ResultTables.open(out, spec, true).lockedBy(lock);
            boolean shared = Sessions.running();
            SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
            try {
                long n;
                if (appended) {
                    n = tables.committedRuns().size();
                    err.println("an interrupted migration appended every row already; finishing it");
                } else n = append(spark, out, spec, tables);
                for (Table t : ResultTables.COMMIT_ORDER) {
                    List<Path> files = legacyFiles(out, t);
                    if (files.isEmpty()) continue;
                    tables.beforeDestructive("deleting the per-run files of " + t.dir);
                    for (Path p : files) {
                        out.fs().delete(p, false);
                        CommitPoints.reached("delete per-run " + t.dir + " file");
                    }
                }
                if (out.fs().delete(out.path("_staging"), true)) CommitPoints.reached("delete _staging");
                // from the migrated rows, once the output reads as tables (interrupted here, compact or a sweep
                // finishes it)
                StallsBackfill.complete(spark, tables, dir, err);
                err.println("migrated " + n + " runs; compacting");
                err.println("compacted: " + Compaction.compact(spark, tables));
                return n;
            } finally {
                if (!shared) spark.stop();
            }
        } catch (Exception e) {
            throw Stopped.advise(e, "migrate", "bin/gradsweep migrate --in " + dir);
        }
    }

    /** Appends the committed runs' rows of the per-run files, runs last, and marks the tables migrated; the run count. */
    private static long append(SparkSession spark, OutputDir out, ResultTables.CatalogSpec spec, ResultTables tables)
            throws Exception {
        String prefix = spec.registerIn(spark.conf()::set);
        Dataset<Row> runs = legacyTable(spark, out, Table.RUNS).cache();
        long n;
        try {
            n = runs.count();
            Dataset<Row> ids = runs.select("run_id");
            for (Table t : ResultTables.COMMIT_ORDER) {
                // no per-run files: layer_stalls is computed from the rows migrated, attention came after that layout
                if (t == Table.LAYER_STALLS || t == Table.ATTENTION) continue;
                Dataset<Row> rows =
                        t == Table.RUNS ? runs : legacyTable(spark, out, t).join(ids, "run_id");
                rows.select(columns(t)).writeTo(prefix + t.dir).append();
                CommitPoints.reached("migrate " + t.dir);
            }
        } finally {
            runs.unpersist();
        }
        tables.markMigrated();
        return n;
    }

    private static org.apache.spark.sql.Column[] columns(Table t) {
        return t.columns.stream()
                .map(c -> org.apache.spark.sql.functions.col(c.name()))
                .toArray(org.apache.spark.sql.Column[]::new);
    }

    /** One table's per-run files (the files directly in {@code <out>/<table>/}). */
    private static Dataset<Row> legacyTable(SparkSession spark, OutputDir out, Table t) throws IOException {
        List<String> paths = new ArrayList<>();
        for (Path p : legacyFiles(out, t)) paths.add(p.toString());
        if (paths.isEmpty()) return spark.createDataFrame(List.of(), Schemas.sparkSchema(t));
        return spark.read().schema(Schemas.sparkSchema(t)).parquet(paths.toArray(String[]::new));
    }

    private static List<Path> legacyFiles(OutputDir out, Table t) throws IOException {
        List<Path> files = new ArrayList<>();
        Path dir = out.path(t.dir);
        if (!out.fs().isDirectory(dir)) return files;
        for (FileStatus st : out.fs().listStatus(dir))
            if (st.isFile() && st.getPath().getName().endsWith(".parquet")) files.add(st.getPath());
        files.sort(null); // the same order every time: the crash test counts each deletion
        return files;
    }

    private static void checkIn(OutputDir out, String dir) throws IOException {
        if (!out.fs().isDirectory(out.path())) throw new BadInputException("--in " + dir + ": no such directory");
    }

    private static SparkConf conf(String master, String app) {
        SparkConf conf = new SparkConf(true).setAppName(app);
        if (master != null) conf.setMaster(master);
        else if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        return Sessions.iceberg(Sessions.loopbackIfLocal(conf));
    }
}
