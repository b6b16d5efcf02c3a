package dev.gradsweep.sweep;

import dev.gradsweep.analysis.Schemas;
import dev.gradsweep.config.BadInputException;
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
            SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
            try {
                StallsBackfill.complete(spark, tables, dir, err);
                return Compaction.compact(spark, tables);
            } finally {
                spark.stop();
            }
        }
    }

    /**
     * Converts an output in the per-run layout ({@code <out>/<table>/<run_id>.parquet}) into the Iceberg tables:
     * the committed runs' rows are appended (steps, params, layers, then runs), the per-run files deleted, the tables
     * compacted. Rerunnable: the per-run files go only after every append committed, and a rerun first drops the
     * tables an interrupted migration left.
     */
    public static long migrate(String dir, String master, PrintStream err) throws Exception {
        OutputDir out = new OutputDir(dir);
        SparkConf conf = conf(master, "gradsweep migrate");
        ResultTables.CatalogSpec spec = ResultTables.CatalogSpec.of(out.location(), SweepDriver.confMap(conf));
        checkIn(out, dir);
        if (!ResultTables.legacy(out))
            throw new BadInputException("--in " + dir + ": no results in the per-run layout (no "
                    + out.path(Table.RUNS.dir) + "/*.parquet); nothing to migrate");
        try (OutputLock lock = OutputLock.acquire(out, spec, "migrate", err)) {
            if (ResultTables.exists(out, spec)) {
                err.println("dropping the tables of an interrupted migration; the per-run files are still complete");
                if (spec.configured()) ResultTables.open(out, spec, false).dropAll();
                else
                    for (Table t : Table.values())
                        for (String sub : List.of("metadata", "data")) out.fs().delete(out.path(t.dir, sub), true);
            }
            ResultTables tables = ResultTables.open(out, spec, true).lockedBy(lock);
            SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
            try {
                String prefix = spec.registerIn(spark.conf()::set);
                Dataset<Row> runs = legacyTable(spark, out, Table.RUNS).cache();
                long n = runs.count();
                Dataset<Row> ids = runs.select("run_id");
                for (Table t : ResultTables.COMMIT_ORDER) {
                    if (t == Table.LAYER_STALLS) continue; // no per-run files: computed below, from the rows migrated
                    Dataset<Row> rows =
                            t == Table.RUNS ? runs : legacyTable(spark, out, t).join(ids, "run_id");
                    rows.select(columns(t)).writeTo(prefix + t.dir).append();
                }
                for (Table t : Table.values())
                    for (Path p : legacyFiles(out, t)) out.fs().delete(p, false);
                out.fs().delete(out.path("_staging"), true);
                // from the migrated rows, once the output reads as tables (interrupted here, compact or a sweep
                // finishes it)
                StallsBackfill.complete(spark, tables, dir, err);
                err.println("migrated " + n + " runs; compacting");
                err.println("compacted: " + Compaction.compact(spark, tables));
                return n;
            } finally {
                spark.stop();
            }
        }
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
