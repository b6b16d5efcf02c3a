package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.gradsweep.store.StallRowsProbe;
import dev.gradsweep.store.Table;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The medians over a run's steps (layer_stalls) are exact, the ceil(n/2)-th smallest value, and skip NaN, as numpy's
 * nanmedian does, so they depend on the values only: not on the order of the rows, how Spark partitions them, or how
 * many steps there are; and they are the medians the executors store (store/LayerStallRows). (percentile_approx, used
 * before, ordered NaN inconsistently: with NaN among its input it gave other medians for the same rows on 4 partitions
 * than on 1; and above ~5,000 steps it is not exact.) Seeded property tests on hand-made layer_profile rows: NaN, exact
 * zeros (log10 = -Infinity) and +Infinity among finite values, in shuffled order.
 */
class StallMediansTest {
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("stall-medians-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static final StructType PROFILE = new StructType()
            .add("run_id", DataTypes.StringType)
            .add("step", DataTypes.IntegerType)
            .add("layer", DataTypes.IntegerType)
            .add("from_output", DataTypes.IntegerType)
            .add("delta_ref_layer", DataTypes.IntegerType)
            .add("delta_rel", DataTypes.DoubleType)
            .add("act_rel", DataTypes.DoubleType)
            .add("update_ratio", DataTypes.DoubleType)
            .add("dead_frac", DataTypes.DoubleType)
            .add("saturated_frac", DataTypes.DoubleType)
            .add("gate_mean", DataTypes.DoubleType)
            .add("gate_saturated_frac", DataTypes.DoubleType)
            .add("slope_w", DataTypes.DoubleType)
            .add("slope_delta", DataTypes.DoubleType)
            .add("slope_act", DataTypes.DoubleType);

    @Test
    void mediansSkipNanAndDoNotDependOnRowOrderOrPartitions() {
        Random rnd = new Random(20261202);
        List<Row> rows = new ArrayList<>();
        Map<String, Double> expected = new TreeMap<>(), expectedUpdate = new TreeMap<>();
        for (int run = 0; run < 60; run++) {
            String id = String.format("r%02d", run);
            int steps = 1 + rnd.nextInt(9);
            List<Double> kept = new ArrayList<>(), keptRaw = new ArrayList<>();
            for (int s = 0; s < steps; s++) {
                double u = rnd.nextDouble();
                double d = u < 0.3
                        ? Double.NaN
                        : u < 0.4 ? 0 : u < 0.45 ? Double.POSITIVE_INFINITY : Math.pow(10, -6 * rnd.nextDouble());
                if (!Double.isNaN(d)) {
                    kept.add(d == 0 ? Double.NEGATIVE_INFINITY : StrictMath.log10(d)); // as Spark's log10
                    keptRaw.add(d);
                }
                // act_rel, update_ratio and the three slopes get the same values as delta_rel
                rows.add(RowFactory.create(id, s, 0, 1, 1, d, d, d, 0.0, 0.0, null, null, d, d, d));
            }
            expected.put(id, lowerMedian(kept));
            expectedUpdate.put(id, lowerMedian(keptRaw));
        }
        for (int partitions : new int[] {1, 2, 5}) {
            SparkSession s = layerStalls(rows, partitions);
            Map<String, Double> medians = new TreeMap<>(), updates = new TreeMap<>();
            for (Row r : s.sql("SELECT run_id, log10_delta_rel, log10_act_rel, update_ratio, slope_w, slope_delta,"
                            + " slope_act FROM layer_stalls")
                    .collectAsList()) {
                medians.put(r.getString(0), r.isNullAt(1) ? null : r.getDouble(1));
                assertEquals(medians.get(r.getString(0)), r.isNullAt(2) ? null : r.getDouble(2), "act_rel: " + r);
                updates.put(r.getString(0), r.isNullAt(3) ? null : r.getDouble(3));
                for (int c = 4; c <= 6; c++) // the slopes' medians: of the raw values, as update_ratio's
                assertEquals(updates.get(r.getString(0)), r.isNullAt(c) ? null : r.getDouble(c), "slopes: " + r);
            }
            assertEquals(expectedUpdate, updates, "update_ratio's medians on " + partitions + " partitions");
            assertEquals(expected, medians, "delta_rel's medians on " + partitions + " partitions");
        }
    }

    /** layer_stalls computed over these layer_profile rows, shuffled, on {@code partitions} partitions. */
    static SparkSession layerStalls(List<Row> rows, int partitions) {
        List<Row> shuffled = new ArrayList<>(rows);
        Collections.shuffle(shuffled, new Random(partitions));
        SparkSession s = spark.newSession();
        s.conf().set("spark.sql.shuffle.partitions", Integer.toString(partitions));
        s.createDataFrame(shuffled, PROFILE).repartition(partitions).createOrReplaceTempView("layer_profile");
        for (Table t : new Table[] {Table.RUNS, Table.STEPS}) // stalls and loss_plateaus read them; no rows
        s.createDataFrame(List.of(), Schemas.sparkSchema(t)).createOrReplaceTempView(t.dir);
        SqlViews.registerAnalysis(
                s, AnalysisParams.resolve(Map.of()), List.of(SqlScript.STALLS_FILE, "20_stalls.sql"), false);
        return s;
    }

    /**
     * Runs of 12,000 steps: where percentile_approx (its default accuracy, 10,000) is no longer exact, the view's
     * median is still the ceil(n/2)-th smallest value of the run, the executors' too, on any partitioning; so a
     * layer_stalls recomputed for a threshold override gives the medians the stored table holds.
     */
    @Test
    void aboveFiveThousandStepsTheMediansStayExactAndEqualTheStoredOnes() {
        Random rnd = new Random(5000);
        List<Row> rows = new ArrayList<>();
        Map<String, Double> expected = new TreeMap<>(), stored = new TreeMap<>();
        for (int run = 0; run < 3; run++) {
            String id = "big" + run;
            List<Double> ratios = new ArrayList<>(), kept = new ArrayList<>();
            for (int step = 0; step < 12_000; step++) {
                // distinct values, some NaN (skipped) and some null (no ratio that step)
                double u = rnd.nextDouble();
                Double r = u < 0.02 ? null : u < 0.05 ? Double.NaN : Double.valueOf(rnd.nextDouble() * 1e-3);
                ratios.add(r);
                if (r != null && !r.isNaN()) kept.add(r);
                rows.add(RowFactory.create(id, step, 0, 1, 1, 1.0, 1.0, r, 0.0, 0.0, null, null, 0.0, 0.0, 0.0));
            }
            expected.put(id, lowerMedian(kept));
            stored.put(id, StallRowsProbe.updateRatioMedian(ratios));
        }
        assertEquals(expected, stored, "the executors' medians");
        for (int partitions : new int[] {1, 4}) {
            SparkSession s = layerStalls(rows, partitions);
            Map<String, Double> medians = new TreeMap<>(), approx = new TreeMap<>();
            for (Row r : s.sql("SELECT run_id, update_ratio FROM layer_stalls").collectAsList())
                medians.put(r.getString(0), r.getDouble(1));
            assertEquals(expected, medians, "the view's medians on " + partitions + " partitions");
            // what the view computed before: not exact here, so this case tells the two apart
            for (Row r : s.sql("SELECT run_id, percentile_approx(nanvl(update_ratio, double(NULL)), 0.5) FROM"
                            + " layer_profile GROUP BY run_id")
                    .collectAsList()) approx.put(r.getString(0), r.getDouble(1));
            assertNotEquals(expected, approx, "percentile_approx on " + partitions + " partitions");
        }
    }

    /** The median layer_stalls takes of n values: the ceil(n / 2)-th smallest; none: null. */
    static Double lowerMedian(List<Double> values) {
        if (values.isEmpty()) return null;
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((sorted.size() + 1) / 2 - 1);
    }
}
