package dev.gradsweep.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Prints a query result as an aligned table, CSV (RFC 4180 quoting) or JSON lines. */
public final class ResultPrinter {
    public enum Format {
        TABLE,
        CSV,
        JSON
    }

    /** Rows printed in table format before "… more rows" (CSV and JSON print everything). */
    public static final int TABLE_MAX_ROWS = 200;

    private ResultPrinter() {}

    public static void print(Dataset<Row> df, Format format, PrintStream out) {
        String[] cols = df.columns();
        if (format == Format.TABLE) {
            out.print(df.showString(TABLE_MAX_ROWS, 0, false));
            return;
        }
        List<Row> rows = df.collectAsList();
        if (format == Format.CSV) {
            out.println(String.join(",", csv(cols)));
            for (Row r : rows) {
                String[] v = new String[cols.length];
                for (int i = 0; i < cols.length; i++) v[i] = r.isNullAt(i) ? "" : String.valueOf(r.get(i));
                out.println(String.join(",", csv(v)));
            }
        } else {
            ObjectMapper m = new ObjectMapper();
            for (Row r : rows) {
                ObjectNode o = m.createObjectNode();
                for (int i = 0; i < cols.length; i++)
                    o.set(cols[i], m.valueToTree(r.isNullAt(i) ? null : jsonValue(r.get(i))));
                out.println(o.toString());
            }
        }
    }

    static Object jsonValue(Object v) {
        if (v instanceof Double d && !Double.isFinite(d)) return d.toString(); // JSON has no NaN/Infinity literals
        if (v instanceof java.sql.Timestamp t) return t.toInstant().toString();
        return v;
    }

    static String[] csv(String[] v) {
        String[] o = new String[v.length];
        for (int i = 0; i < v.length; i++)
            o[i] = v[i].matches(".*[\",\\n\\r].*") ? "\"" + v[i].replace("\"", "\"\"") + "\"" : v[i];
        return o;
    }
}
