package dev.gradsweep.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

/** Median loss per step for each value of each varying axis. */
final class LossCurves {
    /** Points per curve at most (percentiles in Spark over step buckets). */
    static final int LOSS_POINTS = 200;

    private LossCurves() {}

    /** Median loss per step for each value of each varying axis (percentiles in Spark, at most LOSS_POINTS steps). */
    static void draw(SparkSession spark, ReportPage page, List<String> axes) throws IOException {
        page.md.append(
                "\n## Loss curves by axis\n\nMedian training loss over the runs that share the value (diverged runs drop "
                        + "out at their last finite step).\n\n");
        long maxStep =
                spark.sql("SELECT coalesce(max(step), 0) FROM steps").first().getInt(0);
        long every = Math.max(1, (maxStep + LOSS_POINTS) / LOSS_POINTS);
        for (String axis : axes) {
            List<Row> rs = spark.sql(
                            "SELECT cast(r." + axis + " AS string) AS value, floor(s.step / " + every + ") * " + every
                                    + " AS step, percentile_approx(s.loss, 0.5) AS loss FROM steps s JOIN runs r ON r.run_id = s.run_id "
                                    + "WHERE NOT isnan(s.loss) AND abs(s.loss) < double('Infinity') GROUP BY 1, 2 ORDER BY 1, 2")
                    .collectAsList();
            Map<String, List<double[]>> pts = new TreeMap<>(Representatives.valueOrder());
            double lo = Double.POSITIVE_INFINITY, hi = 0;
            for (Row r : rs) {
                pts.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
                        .add(new double[] {r.getLong(1), r.getDouble(2)});
                if (r.getDouble(2) > 0) lo = Math.min(lo, r.getDouble(2));
                hi = Math.max(hi, r.getDouble(2));
            }
            boolean logScale = lo > 0 && hi / lo > 100;
            List<Charts.Line> ls = new ArrayList<>();
            for (var e : pts.entrySet()) {
                double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
                double[] y = e.getValue().stream()
                        .mapToDouble(p -> logScale && p[1] <= 0 ? Double.NaN : p[1])
                        .toArray();
                ls.add(new Charts.Line(axis + " " + e.getKey(), x, y));
            }
            XYChart c = Charts.lines(
                    "Training loss by " + axis + " (median over runs)",
                    "step",
                    logScale ? "loss (log scale)" : "loss",
                    ls,
                    false);
            c.getStyler().setYAxisLogarithmic(logScale);
            String file = "loss_by_" + axis + ".png";
            page.save(c, Charts.paletteByName(ls), file);
            page.image(file, "loss curves by " + axis);
        }
    }
}
