package dev.gradsweep.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The report's reads from Spark: small collected results only (one row per run, or aggregates). */
final class Queries {
    private Queries() {}

    static List<Map<String, Object>> rows(SparkSession spark, String sql) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : spark.sql(sql).collectAsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String c : r.schema().fieldNames()) m.put(c, r.getAs(c));
            out.add(m);
        }
        return out;
    }

    static String inList(java.util.Collection<String> ids) {
        return ids.stream().map(s -> "'" + s.replace("'", "") + "'").collect(Collectors.joining(", "));
    }
}
