package dev.gradsweep.analysis;

import dev.gradsweep.store.Table;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Spark SQL schemas of the tables, derived from {@link Table} so reading never depends on schema inference. */
public final class Schemas {
    private Schemas() {}

    public static StructType sparkSchema(Table t) {
        List<StructField> fields = new ArrayList<>();
        for (Table.Column c : t.columns) fields.add(DataTypes.createStructField(c.name(), type(c.kind()), true));
        return DataTypes.createStructType(fields);
    }

    static DataType type(Table.Kind k) {
        switch (k) {
            case STRING:
                return DataTypes.StringType;
            case INT:
                return DataTypes.IntegerType;
            case LONG:
                return DataTypes.LongType;
            case DOUBLE:
                return DataTypes.DoubleType;
            case TIMESTAMP:
                return DataTypes.TimestampType;
            default:
                throw new IllegalStateException();
        }
    }
}
