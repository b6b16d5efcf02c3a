package dev.gradsweep.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

/** Median loss per step for each value of each varying axis; modadd's held-out loss beside its training loss. */
final class LossCurves {
    /** Points per curve at most (percentiles in Spark over step buckets). */
    static final int LOSS_POINTS = 200;

    private LossCurves() {}

    /** Median loss per step for each value of each varying axis (percentiles in Spark, at most LOSS_POINTS steps). */
    static void draw(SparkSession spark, ReportPage page, List<String> axes) throws IOException {
        page.md.append(
                "\n## Loss curves by axis\n\nMedian training loss over the runs that share the value (diverged runs drop "
                        + "out at their last finite step).\n\n");
        long every = bucket(spark);
        for (String axis : axes) {
            List<Row> rs = spark.sql(
                            "SELECT " + Representatives.sqlValue(axis, "r") + " AS value, floor(s.step / " + every
                                    + ") * " + every
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
            String file = "loss_by_" + axis.replace('.', '_') + ".png";
            page.save(c, Charts.paletteByName(ls), file);
            page.image(file, "loss curves by " + axis);
        }
    }

    /**
     * Training and held-out loss per run, for runs whose steps rows carry a heldout_loss (modadd): the generalisation
     * gap, and grokking as the held-out curve's late fall. One colour per run (at most {@code maxRuns}, by run_id),
     * the training loss as a line (means over buckets of steps, as above), the held-out loss dashed with markers at
     * the steps it was evaluated.
     */
    static void heldOut(SparkSession spark, ReportPage page, Map<String, String> labelOf, int maxRuns)
            throws IOException {
        List<String> ids = spark
                .sql("SELECT run_id FROM steps WHERE heldout_loss IS NOT NULL GROUP BY run_id ORDER BY run_id LIMIT "
                        + maxRuns)
                .collectAsList()
                .stream()
                .map(r -> r.getString(0))
                .toList();
        if (ids.isEmpty()) return;
        page.md.append("\n## Training and held-out loss\n\nThe loss on the held-out pairs (`steps.heldout_loss`, "
                + "every `task.eval_every` steps) beside the training loss: their gap is what the net has memorised "
                + "rather than learnt; grokking is the held-out curve falling long after the training loss has.\n\n");
        long every = bucket(spark);
        String in = Queries.inList(ids);
        Map<String, List<double[]>> train = points(
                spark,
                "SELECT run_id, floor(step / " + every + ") * " + every + ", avg(loss) FROM steps WHERE run_id IN ("
                        + in + ") GROUP BY 1, 2 ORDER BY 1, 2");
        Map<String, List<double[]>> held = points(
                spark,
                "SELECT run_id, step, heldout_loss FROM steps WHERE run_id IN (" + in
                        + ") AND heldout_loss IS NOT NULL ORDER BY 1, 2");
        List<Charts.Line> ls = new ArrayList<>();
        Map<String, java.awt.Color> colours = new java.util.LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i), label = labelOf.getOrDefault(id, id);
            java.awt.Color col = Charts.PALETTE[i % Charts.PALETTE.length];
            for (String part : new String[] {"training", "held-out"}) {
                List<double[]> p = (part.equals("training") ? train : held).getOrDefault(id, List.of());
                String name = label + " " + part;
                ls.add(new Charts.Line(
                        name,
                        p.stream().mapToDouble(v -> v[0]).toArray(),
                        p.stream().mapToDouble(v -> v[1]).toArray()));
                colours.put(name, col);
            }
        }
        XYChart c = Charts.lines("Training and held-out loss", "step", "loss (nats)", ls, false);
        c.getSeriesMap().forEach((name, series) -> {
            if (name.endsWith(" held-out")) {
                series.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.CIRCLE);
                series.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
            }
        });
        page.save(c, colours, "heldout_loss.png");
        page.image("heldout_loss.png", "training and held-out loss per run");
    }

    /** Steps per point of a loss curve: at most LOSS_POINTS points over the longest run. */
    static long bucket(SparkSession spark) {
        long maxStep =
                spark.sql("SELECT coalesce(max(step), 0) FROM steps").first().getInt(0);
        return Math.max(1, (maxStep + LOSS_POINTS) / LOSS_POINTS);
    }

    /** run_id → (x, y) points of a query's three columns, in its order. */
    static Map<String, List<double[]>> points(SparkSession spark, String sql) {
        Map<String, List<double[]>> out = new java.util.HashMap<>();
        for (Row r : spark.sql(sql).collectAsList())
            out.computeIfAbsent(r.getString(0), k -> new ArrayList<>())
                    .add(new double[] {((Number) r.get(1)).doubleValue(), ((Number) r.get(2)).doubleValue()});
        return out;
    }
}
