package dev.gradsweep.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.hadoop.HadoopConfigurable;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsPrefixOperations;

/**
 * Every data file that a table's current snapshot references exists and has the size Iceberg recorded for it
 * ({@code file_size_in_bytes}): a missing or truncated file (a disk restored from an old copy, a file deleted by hand,
 * a copy cut short) makes every query that reads it fail, and a cleanup that ran on such an output could delete what
 * is left of those runs. Writers call {@link #require} before repair, expiry, orphan removal or any other deletion;
 * readers call {@link #find} to explain a failed query. One listing of each data directory and the current manifests:
 * no data file is opened. Equal-size corruption (flipped bits) is not detected.
 */
public final class DataFileCheck {
    private DataFileCheck() {}

    /** A damaged file: {@code found} is its size on disk, {@link #MISSING} or {@link #UNREADABLE} (a manifest). */
    public record Damage(Table table, String file, long recorded, long found) {
        public static final long MISSING = -1, UNREADABLE = -2;

        @Override
        public String toString() {
            return "table " + table.dir + ": " + file
                    + (found == UNREADABLE
                            ? " (a manifest) cannot be read"
                            : found == MISSING
                                    ? " is missing (Iceberg recorded " + recorded + " bytes)"
                                    : " has " + found + " bytes, Iceberg recorded " + recorded
                                            + (found < recorded ? " (truncated)" : ""));
        }
    }

    /** The tables reference damaged files; nothing was changed. */
    public static final class Damaged extends RuntimeException {
        private final List<Damage> damage;

        Damaged(List<Damage> damage) {
            super(message(damage));
            this.damage = List.copyOf(damage);
        }

        public List<Damage> damage() {
            return damage;
        }
    }

    /** Stops with {@link Damaged}, before anything is deleted, when a live data file is missing or has another size. */
    public static void require(ResultTables tables) {
        Map<Table, org.apache.iceberg.Table> open = new EnumMap<>(Table.class);
        for (Table t : Table.values()) if (tables.table(t) != null) open.put(t, tables.table(t));
        List<Damage> d = check(open);
        if (!d.isEmpty()) throw new Damaged(d);
    }

    /**
     * The damaged files of an output's tables, read without creating or changing anything (for readers, whose
     * {@link ResultTables#open} would add missing columns); an output without tables has none.
     */
    public static List<Damage> find(OutputDir out, ResultTables.CatalogSpec spec) {
        Catalog catalog = CatalogUtil.buildIcebergCatalog(
                ResultTables.CATALOG, spec.properties(), out.fs().getConf());
        Map<Table, org.apache.iceberg.Table> open = new EnumMap<>(Table.class);
        for (Table t : Table.values()) {
            TableIdentifier id = TableIdentifier.of(spec.namespace(), t.dir);
            if (catalog.tableExists(id)) open.put(t, catalog.loadTable(id));
        }
        return check(open);
    }

    /** {@link Damaged}'s message, or null when nothing is damaged. */
    public static String describe(List<Damage> damage) {
        return damage.isEmpty() ? null : message(damage);
    }

    private static List<Damage> check(Map<Table, org.apache.iceberg.Table> tables) {
        List<Damage> damage = new ArrayList<>();
        tables.forEach((t, it) -> {
            it.refresh();
            Snapshot s = it.currentSnapshot();
            if (s == null) return;
            Map<String, Long> recorded = new LinkedHashMap<>();
            for (ManifestFile m : s.dataManifests(it.io()))
                try (ManifestReader<DataFile> r =
                        ManifestFiles.read(m, it.io()).select(List.of("file_path", "file_size_in_bytes"))) {
                    for (DataFile f : r) recorded.put(f.location(), f.fileSizeInBytes());
                } catch (IOException | RuntimeException e) {
                    // a manifest that cannot be read hides which data files are live: report it, never guess
                    damage.add(new Damage(t, m.path(), m.length(), Damage.UNREADABLE));
                }
            Map<String, Long> found = sizes(it.io(), recorded.keySet());
            recorded.forEach((file, size) -> {
                long on = found.getOrDefault(key(file), Damage.MISSING);
                if (on != size) damage.add(new Damage(t, file, size, on));
            });
        });
        return damage;
    }

    /**
     * Sizes of the files by {@link #key}: one listing per directory, else one stat per file. Hadoop's own listing
     * (listStatus), not Iceberg's listPrefix: that builds located statuses, whose permissions Hadoop's local file
     * system reads by forking {@code ls} for every file without its native library (minutes for 48,000 files).
     */
    private static Map<String, Long> sizes(FileIO io, Iterable<String> files) {
        Map<String, List<String>> byDir = new LinkedHashMap<>();
        for (String f : files)
            byDir.computeIfAbsent(f.substring(0, f.lastIndexOf('/')), d -> new ArrayList<>())
                    .add(f);
        Map<String, Long> sizes = new HashMap<>();
        byDir.forEach((dir, in) -> {
            try {
                if (io instanceof HadoopConfigurable h) {
                    Path d = new Path(dir);
                    for (FileStatus st : d.getFileSystem(h.getConf()).listStatus(d))
                        sizes.put(key(st.getPath().toString()), st.getLen());
                    return;
                }
                if (io instanceof SupportsPrefixOperations p) {
                    for (FileInfo fi : p.listPrefix(dir)) sizes.put(key(fi.location()), fi.size());
                    return;
                }
            } catch (IOException | RuntimeException e) {
                // e.g. the directory is gone: look at each file
            }
            for (String f : in) {
                try {
                    sizes.put(key(f), io.newInputFile(f).getLength());
                } catch (RuntimeException missing) {
                    // absent from the map: missing
                }
            }
        });
        return sizes;
    }

    /** Paths compared without scheme and authority (a listing may spell file:/x where the manifest has file:///x). */
    private static String key(String location) {
        return new Path(location).toUri().getPath();
    }

    private static String message(List<Damage> damage) {
        StringBuilder sb = new StringBuilder()
                .append(damage.size())
                .append(damage.size() == 1 ? " data file" : " data files")
                .append(" of the result tables ")
                .append(damage.size() == 1 ? "is" : "are")
                .append(" damaged: ");
        int shown = Math.min(damage.size(), 5);
        for (int i = 0; i < shown; i++) sb.append(i > 0 ? "; " : "").append(damage.get(i));
        if (damage.size() > shown)
            sb.append("; and ").append(damage.size() - shown).append(" more");
        return sb.append(". Nothing was deleted or changed: `sweep --resume` and `compact` refuse to run on tables in"
                        + " this state, so that no cleanup deletes anything. Restore ")
                .append(damage.size() == 1 ? "the file" : "these files")
                .append(" from a copy of the output (the same path and size) and run the command again. Without a"
                        + " copy, the rows in ")
                .append(damage.size() == 1 ? "it" : "them")
                .append(" are lost and every query that reads ")
                .append(damage.size() == 1 ? "it" : "them")
                .append(" fails: keep this output as it is and sweep the grid again into a new one (--out).")
                .toString();
    }
}
