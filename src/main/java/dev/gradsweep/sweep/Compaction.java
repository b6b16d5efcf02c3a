package dev.gradsweep.sweep;

import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import org.apache.iceberg.actions.DeleteOrphanFiles;
import org.apache.iceberg.actions.RewriteDataFiles;
import org.apache.iceberg.spark.actions.SparkActions;
import org.apache.spark.sql.SparkSession;

import java.util.EnumMap;
import java.util.Map;

/**
 * Table maintenance with Iceberg's Spark actions, run by the writer that holds the output's lock: the many small files
 * of a sweep's batches rewritten into few large ones sorted by run and step, manifests merged, every snapshot but the
 * current one expired, and files no snapshot references (failed task attempts, a killed sweep's debris, the
 * rewritten files) deleted.
 */
public final class Compaction {
    /** Per table: data files before and after, bytes after, orphan files deleted. */
    public record Report(Map<Table, long[]> perTable, long millis) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            perTable.forEach((t, v) -> sb.append(t.dir).append(' ').append(v[0]).append(" -> ").append(v[1]).append(" files (")
                    .append(String.format("%.1f MB", v[2] / 1e6)).append(v[3] > 0 ? ", " + v[3] + " orphans removed" : "").append("), "));
            return sb.append(String.format("%.1f s", millis / 1e3)).toString();
        }

        public long filesAfter(Table t) {
            return perTable.get(t)[1];
        }
    }

    private Compaction() {
    }

    public static Report compact(SparkSession spark, ResultTables tables) {
        long t0 = System.currentTimeMillis();
        Map<Table, long[]> report = new EnumMap<>(Table.class);
        SparkActions actions = SparkActions.get(spark);
        for (Table t : Table.values()) {
            org.apache.iceberg.Table it = tables.table(t);
            it.refresh();
            long before = files(it);
            if (it.currentSnapshot() != null) {
                actions.rewriteDataFiles(it).sort()
                        // every small file qualifies, and so does a group of just two
                        .option(RewriteDataFiles.TARGET_FILE_SIZE_BYTES, it.properties().getOrDefault("write.target-file-size-bytes", Long.toString(128L << 20)))
                        .option("min-input-files", "2")
                        .execute();
                it.refresh();
                actions.rewriteManifests(it).execute();
                it.refresh();
                actions.expireSnapshots(it).expireOlderThan(System.currentTimeMillis()).retainLast(1).execute();
            }
            long orphans = removeOrphans(actions, it);
            it.refresh();
            report.put(t, new long[]{before, files(it), bytes(it), orphans});
        }
        return new Report(report, System.currentTimeMillis() - t0);
    }

    /** Deletes the files in the tables' locations that no snapshot references; returns how many. */
    public static int removeOrphans(SparkSession spark, ResultTables tables) {
        SparkActions actions = SparkActions.get(spark);
        int n = 0;
        for (Table t : Table.values()) n += removeOrphans(actions, tables.table(t));
        return n;
    }

    /** Safe with a cut-off of now only because the caller holds the output's lock: no other writer has files in flight. */
    private static int removeOrphans(SparkActions actions, org.apache.iceberg.Table it) {
        it.refresh();
        DeleteOrphanFiles.Result r = actions.deleteOrphanFiles(it).olderThan(System.currentTimeMillis() + 1).execute();
        int n = 0;
        for (String ignored : r.orphanFileLocations()) n++;
        return n;
    }

    private static long files(org.apache.iceberg.Table it) {
        return it.currentSnapshot() == null ? 0 : Long.parseLong(it.currentSnapshot().summary().getOrDefault("total-data-files", "0"));
    }

    private static long bytes(org.apache.iceberg.Table it) {
        return it.currentSnapshot() == null ? 0 : Long.parseLong(it.currentSnapshot().summary().getOrDefault("total-files-size", "0"));
    }
}
