package dev.gradsweep.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** An output's rows as readers see them (committed runs only), read with Iceberg's own reader, for comparisons. */
public final class TableRows {
    /** Columns that measure time, which differ between two sweeps of the same runs. */
    public static final Set<String> TIMING = Set.of("step_ms", "wall_ms", "ms_per_step", "started_at", "finished_at");

    private TableRows() {}

    /** Per table, the sorted rows of the committed runs, each row its non-timing columns joined. */
    public static Map<Table, List<String>> committed(String out) {
        ResultTables tables = ResultTables.open(new OutputDir(out));
        Set<String> runs = tables.committedRuns();
        Map<Table, List<String>> rows = new EnumMap<>(Table.class);
        for (Table t : Table.values()) {
            List<String> cols = t.columns.stream()
                    .map(Table.Column::name)
                    .filter(c -> !TIMING.contains(c))
                    .collect(Collectors.toList());
            List<String> rs = new ArrayList<>();
            try (CloseableIterable<Record> it =
                    IcebergGenerics.read(tables.table(t)).build()) {
                for (Record r : it) {
                    if (!runs.contains((String) r.getField("run_id"))) continue;
                    rs.add(cols.stream().map(c -> String.valueOf(r.getField(c))).collect(Collectors.joining("|")));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            rs.sort(null);
            rows.put(t, rs);
        }
        return rows;
    }

    /** {@code rows} restricted to the given runs (the first column of every table is run_id). */
    public static Map<Table, List<String>> only(Map<Table, List<String>> rows, Set<String> runs) {
        Map<Table, List<String>> m = new EnumMap<>(Table.class);
        rows.forEach((t, rs) -> m.put(
                t,
                rs.stream()
                        .filter(r -> runs.contains(r.substring(0, r.indexOf('|'))))
                        .collect(Collectors.toList())));
        return m;
    }
}
