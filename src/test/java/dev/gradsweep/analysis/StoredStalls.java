package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The check that the layer_stalls table the executors write (store/LayerStallRows) holds the rows the view's SQL
 * computes from params and layers (jobs/sql/15_layer_stalls.sql), on the fixtures' outputs: every run and layer, every
 * column. Medians, counts and steps are equal exactly (they are values of the rows, picked by rank); the slopes and the
 * means are sums taken in another order, equal to 1e-12.
 */
public final class StoredStalls {
    private StoredStalls() {}

    /** Columns that are sums in both definitions (regr_slope's and avg's), compared to rounding. */
    static final Set<String> SUMS = Set.of(
            "dead_frac", "saturated_frac", "gate_mean", "gate_saturated_frac", "slope_w", "slope_delta", "slope_act");

    /** Asserts the stored rows of {@code dir} equal the computed ones; returns how many rows it compared. */
    public static int assertMatchComputed(SparkSession spark, String dir) {
        SparkSession stored = spark.newSession();
        SqlViews.register(stored, dir, Map.of());
        return assertMatchComputed(spark, stored, dir);
    }

    /** The same with {@code stored}, a session whose views up to layer_stalls are registered over {@code dir}. */
    public static int assertMatchComputed(SparkSession spark, SparkSession stored, String dir) {
        OutputDir out = new OutputDir(dir);
        assertNotNull(
                ResultTables.stallsFrozenUpdateRatio(out, ResultTables.CatalogSpec.of(out.location(), Map.of())),
                dir + ": layer_stalls table complete");
        assertTrue(
                SqlViews.storedStallsAnswer(stored, dir, AnalysisParams.resolve(Map.of())),
                "the views read the stored table");
        SparkSession computed = spark.newSession();
        SqlViews.registerComputedStalls(computed, dir);
        Map<String, Row> s = byKey(stored), c = byKey(computed);
        assertTrue(!c.isEmpty(), dir + ": rows to compare");
        assertEquals(c.keySet(), s.keySet(), "the same runs and layers");
        for (Map.Entry<String, Row> e : c.entrySet()) {
            Row cr = e.getValue(), sr = s.get(e.getKey());
            for (Table.Column col : Table.LAYER_STALLS.columns) {
                Object cv = cr.getAs(col.name()), sv = sr.getAs(col.name());
                String what = e.getKey() + " " + col.name() + ": stored " + sv + ", computed " + cv;
                if (cv == null || sv == null || !(cv instanceof Double)) assertEquals(cv, sv, what);
                else if (SUMS.contains(col.name())) {
                    double a = (Double) cv, b = (Double) sv;
                    assertTrue(Double.compare(a, b) == 0 || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a)), what);
                } else assertEquals(0, Double.compare((Double) cv, (Double) sv), what);
            }
        }
        return c.size();
    }

    private static Map<String, Row> byKey(SparkSession s) {
        Map<String, Row> m = new TreeMap<>();
        List<Row> rows = s.sql("SELECT * FROM layer_stalls").collectAsList();
        for (Row r : rows) assertEquals(null, m.put(r.getAs("run_id") + "/" + r.getAs("layer"), r), "one row per key");
        return m;
    }
}
