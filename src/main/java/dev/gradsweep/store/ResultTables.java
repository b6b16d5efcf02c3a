package dev.gradsweep.store;

import dev.gradsweep.config.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.LocationProviders;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.LocationProvider;
import org.apache.iceberg.types.Types;

/**
 * The result tables as Apache Iceberg tables, on the driver: created from {@link Table}'s columns (columns added
 * there are added to existing tables), committed in batches of task files, read for the committed run ids.
 * <p>
 * Catalog: by default a Hadoop (file-system) catalog whose warehouse is the output directory, so the tables live in
 * {@code <out>/runs}, {@code <out>/steps}, ... with no server. Any other Iceberg catalog is configured as Spark catalog
 * {@value #CATALOG} ({@code spark.sql.catalog.gradsweep.*}) with a namespace ({@value #NAMESPACE_KEY}).
 * <p>
 * Commit protocol: a batch appends its files to steps, params, layers, timesteps, attention and layer_stalls, then to runs, each append tagged with the
 * batch id in the snapshot summary. Readers see a run only once its runs row is committed (the views semi-join to
 * runs); a batch whose runs append never happened (the driver died in between) is undone by {@link #repair}.
 */
public final class ResultTables {
    /** Spark catalog name that, when configured, replaces the default Hadoop catalog in the output directory. */
    public static final String CATALOG = "gradsweep";

    public static final String CATALOG_KEY = "spark.sql.catalog." + CATALOG;
    /** Namespace of the tables in a configured catalog (the default Hadoop catalog has none). */
    public static final String NAMESPACE_KEY = "spark.gradsweep.namespace";

    static final String BATCH = "gradsweep.batch", REPAIRED = "gradsweep.repaired";
    /** Commit order: runs last, so a committed runs row means the run's other rows are committed. */
    public static final List<Table> COMMIT_ORDER = List.of(
            Table.STEPS, Table.PARAMS, Table.LAYERS, Table.TIMESTEPS, Table.ATTENTION, Table.LAYER_STALLS, Table.RUNS);

    /**
     * Property of the layer_stalls table: the gradsweep.frozen_update_ratio its rows were computed with. Set once the
     * table holds a row set for every committed run (from its creation with the output, or after a backfill of an
     * older output's runs); absent, readers compute layer_stalls from params and layers.
     */
    public static final String STALLS_FROZEN_UPDATE_RATIO = "gradsweep.frozen_update_ratio";

    /**
     * Properties of every result table. Metadata files of old versions are deleted as commits go (a sweep commits many
     * small batches); compaction writes 128 MB files of 16 MB row groups, Snappy: zstd (Iceberg's default) made the
     * compacted tables 12 % smaller but the full-scan analysis queries slower to decode.
     */
    static final Map<String, String> PROPERTIES = Map.of(
            "format-version", "2",
            "write.parquet.compression-codec", "snappy",
            "write.metadata.delete-after-commit.enabled", "true",
            "write.metadata.previous-versions-max", "10",
            "write.target-file-size-bytes", Long.toString(128L << 20),
            "write.parquet.row-group-size-bytes", Long.toString(16L << 20),
            "commit.retry.num-retries", "10");

    /** Where the tables are: a catalog's properties (Iceberg's catalog options) and the namespace. */
    public record CatalogSpec(Map<String, String> properties, Namespace namespace, boolean configured)
            implements java.io.Serializable {
        /** The default Hadoop catalog in {@code outRoot}, unless {@code sparkConf} configures catalog {@value #CATALOG}. */
        public static CatalogSpec of(String outRoot, Map<String, String> sparkConf) {
            if (!sparkConf.containsKey(CATALOG_KEY))
                return new CatalogSpec(Map.of("type", "hadoop", "warehouse", outRoot), Namespace.empty(), false);
            Map<String, String> props = new LinkedHashMap<>();
            String prefix = CATALOG_KEY + ".";
            sparkConf.forEach((k, v) -> {
                if (k.startsWith(prefix)) props.put(k.substring(prefix.length()), v);
            });
            String ns = sparkConf.get(NAMESPACE_KEY);
            if (ns == null || ns.isBlank())
                throw new BadInputException(CATALOG_KEY + " is set: also set " + NAMESPACE_KEY
                        + " (the namespace of this sweep's tables, e.g. sweeps.quick)");
            return new CatalogSpec(props, Namespace.of(ns.split("\\.")), true);
        }

        /**
         * Makes the tables readable in a Spark session through {@code setConf} (the session's runtime conf) and
         * returns the prefix that names them ({@code <catalog>.[<namespace>.]}): the configured catalog, else a Hadoop
         * catalog on the output directory, named after it so several outputs can be open in one session.
         */
        public String registerIn(java.util.function.BiConsumer<String, String> setConf) {
            if (configured) return CATALOG + "." + namespace + ".";
            String warehouse = properties.get("warehouse");
            String name = "gradsweep_" + Integer.toHexString(warehouse.hashCode());
            setConf.accept("spark.sql.catalog." + name, "org.apache.iceberg.spark.SparkCatalog");
            properties.forEach((k, v) -> setConf.accept("spark.sql.catalog." + name + "." + k, v));
            // Spark's Iceberg catalog caches loaded tables; a query should see the latest commit
            setConf.accept("spark.sql.catalog." + name + ".cache-enabled", "false");
            return name + ".";
        }
    }

    private final OutputDir out;
    private final CatalogSpec spec;
    private final Catalog catalog;
    private final Map<Table, org.apache.iceberg.Table> tables = new EnumMap<>(Table.class);
    private OutputLock lock;

    private ResultTables(OutputDir out, CatalogSpec spec) {
        this.out = out;
        this.spec = spec;
        this.catalog = CatalogUtil.buildIcebergCatalog(
                CATALOG, spec.properties(), out.fs().getConf());
    }

    /** The tables of an output in the default catalog, created if missing. */
    public static ResultTables open(OutputDir out) {
        return open(out, CatalogSpec.of(out.location(), Map.of()), true);
    }

    /**
     * @param create create missing tables (a sweep); otherwise a missing table is an error naming the output
     *     (readers), except layer_stalls and attention, which outputs of an older gradsweep lack ({@link #table} is
     *     then null; a sweep's --resume creates them)
     */
    public static ResultTables open(OutputDir out, CatalogSpec spec, boolean create) {
        ResultTables r = new ResultTables(out, spec);
        for (Table t : Table.values()) {
            TableIdentifier id = r.id(t);
            org.apache.iceberg.Table it;
            if (r.catalog.tableExists(id)) it = IcebergSchemas.evolve(r.catalog.loadTable(id), t, out);
            else if (!create && (t == Table.LAYER_STALLS || t == Table.ATTENTION)) continue;
            else if (!create)
                throw new BadInputException(out.root() + ": no Iceberg table " + t.dir
                        + (spec.configured() ? " in namespace " + spec.namespace() : "")
                        + "; nothing was swept into it yet");
            else {
                try {
                    it = r.catalog
                            .buildTable(id, IcebergSchemas.schema(t))
                            .withPartitionSpec(PartitionSpec.unpartitioned())
                            .withSortOrder(IcebergSchemas.sortOrder(t))
                            .withProperties(PROPERTIES)
                            .create();
                    CommitPoints.reached("create " + t.dir);
                } catch (AlreadyExistsException concurrent) { // created meanwhile by the writer that holds the lock
                    it = IcebergSchemas.evolve(r.catalog.loadTable(id), t, out);
                }
            }
            r.tables.put(t, it);
        }
        return r;
    }

    /** True when the output holds tables (in the default catalog: {@code <out>/runs/metadata} exists). */
    public static boolean exists(OutputDir out, CatalogSpec spec) {
        return exists(out, spec, Table.RUNS);
    }

    /** True when the output holds table {@code t} (an output of an older gradsweep may lack attention). */
    public static boolean exists(OutputDir out, CatalogSpec spec, Table t) {
        ResultTables r = new ResultTables(out, spec);
        return r.catalog.tableExists(r.id(t));
    }

    /**
     * The runs table's current snapshot id (0 before its first commit), read without changing anything: a batch
     * commits its runs rows last, so this changes with every commit that the views can see.
     */
    public static long runsSnapshot(OutputDir out, CatalogSpec spec) {
        ResultTables r = new ResultTables(out, spec);
        org.apache.iceberg.Snapshot s = r.catalog.loadTable(r.id(Table.RUNS)).currentSnapshot();
        return s == null ? 0 : s.snapshotId();
    }

    /**
     * True when {@code out} holds results in the per-run layout that preceded the Iceberg tables
     * ({@code <out>/runs/<run_id>.parquet}).
     */
    public static boolean legacy(OutputDir out) {
        try {
            org.apache.hadoop.fs.Path runs = out.path(Table.RUNS.dir);
            if (!out.fs().isDirectory(runs)) return false;
            for (FileStatus st : out.fs().listStatus(runs))
                if (st.isFile() && st.getPath().getName().endsWith(".parquet")) return true;
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + out.path(Table.RUNS.dir), e);
        }
    }

    public TableIdentifier id(Table t) {
        return TableIdentifier.of(spec.namespace(), t.dir);
    }

    /** The lock this writer holds over the tables: destructive steps check it first ({@link #beforeDestructive}). */
    public ResultTables lockedBy(OutputLock lock) {
        this.lock = lock;
        return this;
    }

    /**
     * Called before every step that deletes data or metadata (repair, expiry, orphan removal, per-run files): stops
     * with an error, deleting nothing, when this process no longer holds the output's lock.
     */
    public void beforeDestructive(String what) {
        if (lock != null) lock.verify(what);
    }

    public org.apache.iceberg.Table table(Table t) {
        return tables.get(t);
    }

    public CatalogSpec spec() {
        return spec;
    }

    /** Data locations and field ids for the executors; layer_stalls rows only when that table is complete. */
    public Layout layout() {
        Map<Table, LocationProvider> locations = new EnumMap<>(Table.class);
        Map<Table, Map<String, Integer>> ids = new EnumMap<>(Table.class);
        for (Table t : Table.values()) {
            org.apache.iceberg.Table it = tables.get(t);
            if (it == null) continue;
            locations.put(t, it.locationProvider());
            Map<String, Integer> m = new LinkedHashMap<>();
            for (Types.NestedField f : it.schema().columns()) m.put(f.name(), f.fieldId());
            ids.put(t, m);
        }
        return new Layout(locations, ids, stallsFrozenUpdateRatio());
    }

    /** The layer_stalls table's {@value #STALLS_FROZEN_UPDATE_RATIO}, or null: the table is missing or incomplete. */
    public Double stallsFrozenUpdateRatio() {
        org.apache.iceberg.Table it = tables.get(Table.LAYER_STALLS);
        if (it == null) return null;
        it.refresh();
        return frozenProperty(it);
    }

    /** {@link #stallsFrozenUpdateRatio} of an output's tables, read without opening (or creating) the others. */
    public static Double stallsFrozenUpdateRatio(OutputDir out, CatalogSpec spec) {
        ResultTables r = new ResultTables(out, spec);
        TableIdentifier id = r.id(Table.LAYER_STALLS);
        return r.catalog.tableExists(id) ? frozenProperty(r.catalog.loadTable(id)) : null;
    }

    private static Double frozenProperty(org.apache.iceberg.Table stalls) {
        String v = stalls.properties().get(STALLS_FROZEN_UPDATE_RATIO);
        return v == null ? null : Double.valueOf(v);
    }

    /**
     * Before a backfill of layer_stalls: deletes the rows an interrupted backfill left and clears the property, so
     * the table holds no row of any run.
     */
    public void clearStalls() {
        org.apache.iceberg.Table it = tables.get(Table.LAYER_STALLS);
        it.refresh();
        if (it.properties().containsKey(STALLS_FROZEN_UPDATE_RATIO)) {
            it.updateProperties().remove(STALLS_FROZEN_UPDATE_RATIO).commit();
            CommitPoints.reached("layer_stalls incomplete");
        }
        if (it.currentSnapshot() != null) {
            beforeDestructive("clearing layer_stalls for its backfill");
            it.newDelete()
                    .deleteFromRowFilter(org.apache.iceberg.expressions.Expressions.alwaysTrue())
                    .commit();
            CommitPoints.reached("clear layer_stalls");
        }
    }

    /** Marks layer_stalls complete: it holds the rows of every committed run, computed with {@code frozenUpdateRatio}. */
    public void markStallsComplete(double frozenUpdateRatio) {
        tables.get(Table.LAYER_STALLS)
                .updateProperties()
                .set(STALLS_FROZEN_UPDATE_RATIO, Double.toString(frozenUpdateRatio))
                .commit();
        CommitPoints.reached("layer_stalls complete");
    }

    /** The layout of the default catalog's tables in {@code out}, without opening them (bench's throwaway files). */
    static Layout defaultLayout(OutputDir out) {
        Map<Table, LocationProvider> locations = new EnumMap<>(Table.class);
        Map<Table, Map<String, Integer>> ids = new EnumMap<>(Table.class);
        for (Table t : Table.values()) {
            locations.put(t, LocationProviders.locationsFor(out.path(t.dir).toString(), Map.of()));
            Map<String, Integer> m = new LinkedHashMap<>();
            for (Types.NestedField f : IcebergSchemas.schema(t).columns()) m.put(f.name(), f.fieldId());
            ids.put(t, m);
        }
        return new Layout(locations, ids, null);
    }

    /** run_ids with a committed runs row. */
    public Set<String> committedRuns() {
        org.apache.iceberg.Table runs = tables.get(Table.RUNS);
        runs.refresh();
        return runIds(runs);
    }

    /** {@link #committedRuns()} of an output's tables, read without opening (or evolving) them: no write at all. */
    public static Set<String> committedRuns(OutputDir out, CatalogSpec spec) {
        ResultTables r = new ResultTables(out, spec);
        return runIds(r.catalog.loadTable(r.id(Table.RUNS)));
    }

    private static Set<String> runIds(org.apache.iceberg.Table runs) {
        Set<String> ids = new TreeSet<>();
        try (CloseableIterable<Record> rows =
                IcebergGenerics.read(runs).select("run_id").build()) {
            for (Record r : rows) ids.add((String) r.getField("run_id"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + runs.name(), e);
        }
        return ids;
    }

    /**
     * Appends a batch of task files, runs last, each table's append tagged with {@code batch}. Iceberg retries an
     * append that lost a race with another commit on a fresh snapshot (appends never conflict).
     */
    public void commit(List<TaskFile> files, String batch) {
        for (Table t : COMMIT_ORDER) {
            AppendFiles a = null;
            for (TaskFile f : files) {
                if (f.table() != t) continue;
                if (a == null) a = tables.get(t).newAppend().set(BATCH, batch);
                a.appendFile(f.file());
            }
            if (a != null) {
                a.commit();
                CommitPoints.reached("append " + t.dir);
            }
        }
    }

    /**
     * Removes the files of batches whose runs append never happened (the driver stopped between a batch's table
     * commits), so retraining those runs cannot duplicate their rows ({@link BatchRepair}). Returns how many files it
     * removed.
     */
    public int repair() {
        return BatchRepair.repair(this, out);
    }

    /**
     * Drops the tables and their files (--overwrite, an interrupted migration), runs first: an output whose runs table
     * is gone commits no run, and the next writer drops what is left ({@link #anyTable}). In the default catalog
     * {@code <out>/<table>/metadata} and {@code data}; files beside them (the per-run layout's) stay.
     */
    public static void dropAll(OutputDir out, CatalogSpec spec) throws IOException {
        ResultTables r = new ResultTables(out, spec);
        for (Table t : Table.values()) {
            if (spec.configured()) {
                if (r.catalog.dropTable(r.id(t), true)) CommitPoints.reached("drop " + t.dir);
            } else
                for (String sub : List.of("metadata", "data"))
                    if (out.fs().delete(out.path(t.dir, sub), true)) CommitPoints.reached("drop " + t.dir + " " + sub);
        }
    }

    /** True when any table exists: with {@link #exists} false, the rest of an interrupted {@link #dropAll}. */
    public static boolean anyTable(OutputDir out, CatalogSpec spec) {
        ResultTables r = new ResultTables(out, spec);
        for (Table t : Table.values()) if (r.catalog.tableExists(r.id(t))) return true;
        return false;
    }

    /** Property of the runs table set by {@code migrate} once every row of the per-run files is appended. */
    static final String MIGRATED = "gradsweep.migrated";

    /** True when a migration appended every per-run file's rows to these tables (its rerun only finishes it). */
    public static boolean migrated(OutputDir out, CatalogSpec spec) {
        ResultTables r = new ResultTables(out, spec);
        TableIdentifier id = r.id(Table.RUNS);
        return r.catalog.tableExists(id) && r.catalog.loadTable(id).properties().containsKey(MIGRATED);
    }

    /** Records that the per-run files' rows are all appended ({@link #migrated}): from now on they may go. */
    public void markMigrated() {
        tables.get(Table.RUNS).updateProperties().set(MIGRATED, "true").commit();
        CommitPoints.reached("migrated");
    }
}
