package dev.gradsweep.store;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.io.LocationProvider;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * What an executor needs to write data files for the result tables: where each table's data files go and the Iceberg
 * field id of every column (by name, so columns added to {@link Table} later get the ids the table assigned them).
 * Built on the driver by {@link ResultTables#layout()} and shipped with the tasks.
 */
public final class Layout implements Serializable {
    private final Map<Table, LocationProvider> locations;
    private final Map<Table, Map<String, Integer>> fieldIds;
    private final Double frozenUpdateRatio;

    /** @param frozenUpdateRatio the layer_stalls table's threshold; null: no layer_stalls rows are written */
    Layout(
            Map<Table, LocationProvider> locations,
            Map<Table, Map<String, Integer>> fieldIds,
            Double frozenUpdateRatio) {
        this.locations = new EnumMap<>(locations);
        this.fieldIds = new EnumMap<>(fieldIds);
        this.frozenUpdateRatio = frozenUpdateRatio;
    }

    /**
     * The gradsweep.frozen_update_ratio the layer_stalls rows are computed with (that table's property), or null when
     * the run writes none (a layout without a complete layer_stalls table, e.g. bench's throwaway files).
     */
    public Double frozenUpdateRatio() {
        return frozenUpdateRatio;
    }

    /** Where a new data file of {@code t} named {@code fileName} goes (the table's location provider decides). */
    public String dataFile(Table t, String fileName) {
        return locations.get(t).newDataLocation(fileName);
    }

    /** {@link Table#schema} with the Iceberg field ids, so Iceberg reads the files by id. */
    public MessageType schema(Table t) {
        Map<String, Integer> ids = fieldIds.get(t);
        List<Type> fields = new ArrayList<>();
        for (Type f : t.schema.getFields()) {
            Integer id = ids.get(f.getName());
            if (id == null) throw new IllegalStateException(t.dir + "." + f.getName() + " has no Iceberg field id");
            fields.add(f.withId(id));
        }
        return new MessageType(t.dir, fields);
    }
}
