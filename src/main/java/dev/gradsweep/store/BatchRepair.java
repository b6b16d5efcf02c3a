package dev.gradsweep.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFiles;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/**
 * {@link ResultTables#repair}: removes the files of batches whose runs append never happened (the driver stopped
 * between a batch's table commits) from the other tables, so retraining those runs cannot duplicate their rows.
 * <p>
 * A batch counts as committed when a snapshot of runs carries its tag; compaction expires runs' snapshots (last,
 * after the other tables'), so the tags alone could call a committed batch undone. A suspect file is therefore
 * deleted only when none of its rows belongs to a committed run; a file holding committed runs' rows is kept, and
 * one that mixes committed and uncommitted runs stops the repair before anything is deleted.
 */
final class BatchRepair {
    private BatchRepair() {}

    static int repair(ResultTables tables, OutputDir out) {
        org.apache.iceberg.Table runs = tables.table(Table.RUNS);
        runs.refresh();
        Set<String> committedBatches = batches(runs, ResultTables.BATCH);
        Set<String> committedRuns = null;
        Map<Table, List<String>> doomed = new EnumMap<>(Table.class);
        Map<Table, Set<String>> undone = new EnumMap<>(Table.class);
        for (Table t : ResultTables.COMMIT_ORDER) {
            org.apache.iceberg.Table it = tables.table(t);
            if (t == Table.RUNS || it == null) continue;
            it.refresh();
            Map<String, String> suspects = new LinkedHashMap<>(); // file -> its batch
            for (Snapshot s : it.snapshots()) {
                String b = s.summary().get(ResultTables.BATCH);
                if (b == null || committedBatches.contains(b)) continue;
                for (DataFile f : s.addedDataFiles(it.io())) suspects.put(f.location(), b);
            }
            if (suspects.isEmpty()) continue;
            if (committedRuns == null) committedRuns = tables.committedRuns();
            for (String f : liveFiles(it)) {
                String b = suspects.get(f);
                if (b == null) continue; // not suspect, or removed already
                Set<String> ids = runIds(it, f);
                Set<String> kept = new TreeSet<>(ids);
                kept.retainAll(committedRuns);
                if (kept.size() == ids.size()) continue; // committed rows whose runs snapshot was expired
                if (!kept.isEmpty())
                    throw new IllegalStateException(out.root() + ": table " + t.dir + ", data file " + f
                            + " holds rows of committed runs " + kept + " and of runs never committed; it is not"
                            + " what a gradsweep batch writes, so nothing was deleted: inspect the file");
                doomed.computeIfAbsent(t, x -> new ArrayList<>()).add(f);
                undone.computeIfAbsent(t, x -> new TreeSet<>()).add(b);
            }
        }
        int removed = 0;
        for (Map.Entry<Table, List<String>> e : doomed.entrySet()) {
            Table t = e.getKey();
            tables.beforeDestructive("repair of " + t.dir);
            DeleteFiles del = tables.table(t).newDelete();
            for (String f : e.getValue()) del.deleteFile(f);
            del.set(ResultTables.REPAIRED, String.join(",", undone.get(t))).commit();
            CommitPoints.reached("repair " + t.dir);
            removed += e.getValue().size();
        }
        return removed;
    }

    private static Set<String> liveFiles(org.apache.iceberg.Table it) {
        Set<String> live = new HashSet<>();
        try (CloseableIterable<org.apache.iceberg.FileScanTask> tasks =
                it.newScan().planFiles()) {
            for (org.apache.iceberg.FileScanTask task : tasks)
                live.add(task.file().location());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the data files of " + it.name(), e);
        }
        return live;
    }

    /** The run ids in one data file of {@code it}, read from the file itself. */
    private static Set<String> runIds(org.apache.iceberg.Table it, String file) {
        Schema projection = it.schema().select("run_id");
        Set<String> ids = new TreeSet<>();
        try (CloseableIterable<Record> rows = org.apache.iceberg.parquet.Parquet.read(
                        it.io().newInputFile(file))
                .project(projection)
                .createReaderFunc(
                        fs -> org.apache.iceberg.data.parquet.GenericParquetReaders.buildReader(projection, fs))
                .build()) {
            for (Record r : rows) ids.add(String.valueOf(r.getField("run_id")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return ids;
    }

    private static Set<String> batches(org.apache.iceberg.Table t, String key) {
        Set<String> ids = new HashSet<>();
        for (Snapshot s : t.snapshots()) {
            String v = s.summary().get(key);
            if (v != null) ids.addAll(List.of(v.split(",")));
        }
        return ids;
    }
}
