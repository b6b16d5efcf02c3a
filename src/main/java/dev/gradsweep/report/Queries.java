package dev.gradsweep.report;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The report's reads from Spark: small collected results only (one row per run, or aggregates). */
final class Queries {
    private Queries() {
    }

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
