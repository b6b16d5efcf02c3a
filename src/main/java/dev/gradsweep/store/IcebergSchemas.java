package dev.gradsweep.store;

import dev.gradsweep.config.BadInputException;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Schema;
import org.apache.iceberg.SortOrder;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/** The Iceberg side of {@link Table}'s schemas: the schema, the sort order, and the columns an older table lacks. */
public final class IcebergSchemas {
    private IcebergSchemas() {}

    /** Iceberg schema of a table: every column optional (null = not applicable), ids in column order. */
    public static Schema schema(Table t) {
        List<Types.NestedField> fields = new ArrayList<>();
        for (Table.Column c : t.columns)
            fields.add(Types.NestedField.optional(fields.size() + 1, c.name(), type(c.kind())));
        return new Schema(fields);
    }

    static Type type(Table.Kind k) {
        switch (k) {
            case STRING:
                return Types.StringType.get();
            case INT:
                return Types.IntegerType.get();
            case LONG:
                return Types.LongType.get();
            case DOUBLE:
                return Types.DoubleType.get();
            case TIMESTAMP:
                return Types.TimestampType.withZone();
            default:
                throw new IllegalStateException(k.toString());
        }
    }

    /** Rows ordered by run, then step: per-run and per-step filters skip files and row groups by their bounds. */
    static SortOrder sortOrder(Table t) {
        Schema s = schema(t);
        SortOrder.Builder b = SortOrder.builderFor(s).asc("run_id");
        if (s.findField("step") != null) b.asc("step");
        return b.build();
    }

    /** Adds the columns {@link Table} declares that the Iceberg table lacks (a newer gradsweep, an older output). */
    static org.apache.iceberg.Table evolve(org.apache.iceberg.Table it, Table t, OutputDir out) {
        UpdateSchema u = null;
        for (Table.Column c : t.columns) {
            Types.NestedField f = it.schema().findField(c.name());
            if (f == null) {
                if (u == null) u = it.updateSchema();
                u.addColumn(c.name(), type(c.kind()));
            } else if (!f.type().equals(type(c.kind())))
                throw new BadInputException(out.root() + ": table " + t.dir + " column " + c.name() + " is " + f.type()
                        + ", gradsweep writes " + type(c.kind()));
        }
        if (u != null) {
            u.commit();
            CommitPoints.reached("schema " + t.dir);
        }
        return it;
    }
}
