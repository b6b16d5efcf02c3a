package dev.gradsweep.sweep;

import dev.gradsweep.store.CommitPoints;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ReachableFileUtil;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.actions.RewriteDataFiles;
import org.apache.iceberg.hadoop.HadoopConfigurable;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.spark.actions.SparkActions;
import org.apache.spark.sql.SparkSession;

/**
 * Table maintenance, run by the writer that holds the output's lock: the small files of a sweep's batches rewritten
 * into few large ones sorted by run and step (Iceberg's Spark rewrite action, the four tables at once, so their Spark
 * jobs overlap), manifests merged, every snapshot but the current one expired, and files no snapshot references
 * (failed task attempts, a killed sweep's debris, the rewritten files) deleted. Only the rewrite moves data; the
 * metadata steps use Iceberg's core API on the driver, which for a few thousand files is much cheaper than Spark jobs.
 */
public final class Compaction {
    /** Per table: data files before and after, bytes after, orphan files deleted; time per phase. */
    public record Report(Map<Table, long[]> perTable, long millis, long[] phaseMillis) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            perTable.forEach((t, v) -> sb.append(t.dir)
                    .append(' ')
                    .append(v[0])
                    .append(" -> ")
                    .append(v[1])
                    .append(" files (")
                    .append(String.format("%.1f MB", v[2] / 1e6))
                    .append(v[3] > 0 ? ", " + v[3] + " orphans removed" : "")
                    .append("), "));
            return sb.append(String.format(
                            "%.1f s (rewrite %.1f, manifests + expiry %.1f, orphans %.1f)",
                            millis / 1e3, phaseMillis[0] / 1e3, phaseMillis[1] / 1e3, phaseMillis[2] / 1e3))
                    .toString();
        }

        public long filesAfter(Table t) {
            return perTable.get(t)[1];
        }
    }

    private Compaction() {}

    public static Report compact(SparkSession spark, ResultTables tables) {
        dev.gradsweep.store.DataFileCheck.require(tables); // damaged files: stop before anything is deleted
        long t0 = System.currentTimeMillis();
        Map<Table, long[]> report = new EnumMap<>(Table.class);
        for (Table t : Table.values()) {
            tables.table(t).refresh();
            report.put(t, new long[] {files(tables.table(t)), 0, 0, 0});
        }
        SparkActions actions = SparkActions.get(spark);
        ExecutorService pool = Executors.newFixedThreadPool(Table.values().length);
        try {
            Map<Table, Future<RewriteDataFiles.Result>> rewrites = new EnumMap<>(Table.class);
            for (Table t : Table.values()) {
                org.apache.iceberg.Table it = tables.table(t);
                if (it.currentSnapshot() == null) continue;
                rewrites.put(t, pool.submit(() -> actions.rewriteDataFiles(it)
                        .sort()
                        // every file smaller than the target qualifies, and a group of just two is worth rewriting
                        .option(
                                RewriteDataFiles.TARGET_FILE_SIZE_BYTES,
                                it.properties().get("write.target-file-size-bytes"))
                        .option("min-input-files", "2")
                        .execute()));
            }
            Map<Table, Integer> rewritten = new EnumMap<>(Table.class);
            for (Map.Entry<Table, Future<RewriteDataFiles.Result>> r : rewrites.entrySet())
                rewritten.put(r.getKey(), r.getValue().get().rewrittenDataFilesCount());
            // counted once all are in, in table order: no commit is in flight while an operation is counted
            rewritten.forEach((t, n) -> {
                if (n > 0) CommitPoints.reached("rewrite " + t.dir);
            });
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("compaction interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("compaction failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            awaitRewrites(pool);
        }
        long t1 = System.currentTimeMillis();
        for (Table t : Table.values()) {
            org.apache.iceberg.Table it = tables.table(t);
            it.refresh();
            if (it.currentSnapshot() == null || oneManifest(it)) continue; // a commit that would change nothing
            it.rewriteManifests().clusterBy(f -> "all").commit();
            CommitPoints.reached("rewrite manifests " + t.dir);
        }
        // runs last: until its old snapshots go, their batch tags vouch for the other tables' (ResultTables.repair)
        for (Table t : ResultTables.COMMIT_ORDER) expire(tables, t);
        long t2 = System.currentTimeMillis();
        for (Table t : Table.values()) {
            org.apache.iceberg.Table it = tables.table(t);
            long[] v = report.get(t);
            tables.beforeDestructive("orphan removal in " + t.dir);
            v[3] = removeOrphans(it);
            v[1] = files(it);
            v[2] = bytes(it);
        }
        long t3 = System.currentTimeMillis();
        return new Report(report, t3 - t0, new long[] {t1 - t0, t2 - t1, t3 - t2});
    }

    /**
     * Expires every snapshot of {@code t} but the current one, then deletes the files only they referenced, one by
     * one: Iceberg hands them over ({@code deleteWith}) instead of deleting them in its own threads, so each deletion
     * is a counted operation; a writer stopped among them leaves unreferenced files, which orphan removal deletes.
     */
    private static void expire(ResultTables tables, Table t) {
        org.apache.iceberg.Table it = tables.table(t);
        it.refresh();
        // nothing to expire: no commit (files a stopped expiry left are orphans now, which orphan removal deletes)
        if (count(it.snapshots()) <= 1) return;
        tables.beforeDestructive("expiry of " + t.dir + "'s old snapshots");
        List<String> expired = Collections.synchronizedList(new ArrayList<>());
        it.expireSnapshots()
                .expireOlderThan(System.currentTimeMillis())
                .retainLast(1)
                .deleteWith(expired::add)
                .commit();
        CommitPoints.reached("expire " + t.dir);
        List<String> sorted = new ArrayList<>(expired);
        Collections.sort(sorted);
        for (String f : sorted) {
            it.io().deleteFile(f);
            CommitPoints.reached("delete expired " + t.dir + " file");
        }
    }

    /** The current snapshot's data in one manifest, and no delete manifest: merging manifests has nothing to do. */
    private static boolean oneManifest(org.apache.iceberg.Table it) {
        Snapshot s = it.currentSnapshot();
        return s.dataManifests(it.io()).size() <= 1
                && s.deleteManifests(it.io()).isEmpty();
    }

    private static int count(Iterable<?> items) {
        int n = 0;
        for (Object ignored : items) n++;
        return n;
    }

    /** Waits for the rewrites still running: a compaction that stops leaves no commit in flight behind it. */
    private static void awaitRewrites(ExecutorService pool) {
        pool.shutdown();
        try {
            while (!pool.awaitTermination(1, TimeUnit.MINUTES))
                ; // a rewrite of a large table may take minutes
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes the files in the tables' locations that no snapshot references; returns how many. */
    public static int removeOrphans(ResultTables tables) {
        dev.gradsweep.store.DataFileCheck.require(tables); // damaged files: stop before anything is deleted
        int n = 0;
        for (Table t : Table.values()) {
            tables.beforeDestructive("orphan removal in " + t.dir);
            n += removeOrphans(tables.table(t));
        }
        return n;
    }

    /**
     * Every file under the table's location that no snapshot, manifest or metadata file references. The cut-off is
     * now, not Iceberg's usual days: safe only because the caller holds the output's lock, so no other writer has
     * files in flight.
     */
    static int removeOrphans(org.apache.iceberg.Table it) {
        it.refresh();
        Set<String> keep = new HashSet<>();
        for (Snapshot s : it.snapshots()) {
            keep.add(key(s.manifestListLocation()));
            for (ManifestFile m : s.allManifests(it.io())) {
                // snapshots share most manifests (an append adds one): read each once, not once per snapshot
                if (!keep.add(key(m.path()))) continue;
                try (CloseableIterable<String> paths = ManifestFiles.readPaths(m, it.io())) {
                    for (String p : paths) keep.add(key(p));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read manifest " + m.path(), e);
                }
            }
        }
        for (String p : ReachableFileUtil.metadataFileLocations(it, false)) keep.add(key(p));
        keep.add(key(ReachableFileUtil.versionHintLocation(it)));
        for (String p : ReachableFileUtil.statisticsFilesLocations(it)) keep.add(key(p));
        int n = 0;
        try {
            Path root = new Path(it.location());
            // the tables' own configuration: a new one parses Hadoop's XML resources again (most of a small compaction)
            FileSystem fs = root.getFileSystem(
                    it.io() instanceof HadoopConfigurable h
                            ? h.getConf()
                            : dev.gradsweep.store.OutputDir.configuration());
            if (!fs.exists(root)) return 0;
            List<Path> orphans = new ArrayList<>();
            for (RemoteIterator<LocatedFileStatus> files = fs.listFiles(root, true); files.hasNext(); ) {
                Path p = files.next().getPath();
                String name = p.getName();
                // a checksum sibling goes with its file
                String of = name.startsWith(".") && name.endsWith(".crc")
                        ? new Path(p.getParent(), name.substring(1, name.length() - 4))
                                .toUri()
                                .getPath()
                        : null;
                if (!keep.contains(of != null ? of : p.toUri().getPath())) orphans.add(p);
            }
            orphans.sort(null); // in the same order every time: the crash test counts each deletion
            for (Path p : orphans)
                if (fs.delete(p, false)) {
                    n++;
                    CommitPoints.reached("delete orphan in " + root.getName());
                }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + it.location(), e);
        }
        return n;
    }

    /** Paths compared without scheme and authority (a catalog may spell s3:// where the listing says s3a://). */
    private static String key(String location) {
        return new Path(location).toUri().getPath();
    }

    private static long files(org.apache.iceberg.Table it) {
        return it.currentSnapshot() == null
                ? 0
                : Long.parseLong(it.currentSnapshot().summary().getOrDefault("total-data-files", "0"));
    }

    private static long bytes(org.apache.iceberg.Table it) {
        return it.currentSnapshot() == null
                ? 0
                : Long.parseLong(it.currentSnapshot().summary().getOrDefault("total-files-size", "0"));
    }
}
