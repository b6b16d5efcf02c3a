package dev.gradsweep.report;

import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

/** Gradient flow across layers at chosen steps: ‖∇W_l‖ (linear and log10) and δ_l, one line per configuration. */
final class FlowPlots {
    private FlowPlots() {}

    /** Gradient flow over layers at the chosen steps, one line per configuration (geometric mean over seeds). */
    static void draw(
            SparkSession spark,
            ReportPage page,
            List<String> steps,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours)
            throws IOException {
        page.md.append("\n## Gradient flow across layers\n\n");
        Map<String, String> configOfRun = page.linePerConfiguration(configs, shown, "delta slopes");
        page.md.append("\n\n");
        // conv nets: dashed lines where a stage starts
        Map<Double, List<String>> stages = ConvPlots.stageBounds(ConvPlots.runsOf(configs, shown), false);
        List<Row> rs = spark.sql("SELECT p.run_id, p.step, p.layer, p.grad_w, p.delta, p.step = m.last AS is_last "
                        + "FROM layer_profile p " + LAST_STEP + " ON m.run_id = p.run_id "
                        + "WHERE p.run_id IN (" + Queries.inList(configOfRun.keySet()) + ") AND ("
                        + stepFilter(steps, "p.step")
                        + ")")
                .collectAsList();
        for (String s : steps) {
            // config -> layer -> log10 values over seeds
            Map<String, TreeMap<Integer, double[]>> w = new LinkedHashMap<>(), d = new LinkedHashMap<>();
            for (Row r : rs) {
                if (!atStep(s, r.getInt(1), r.getBoolean(5))) continue;
                String c = configOfRun.get(r.getString(0));
                add(w, c, r.getInt(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3));
                add(d, c, r.getInt(2), r.isNullAt(4) ? Double.NaN : r.getDouble(4));
            }
            String when = when(s), tag = tag(s);
            layerChart(
                    page,
                    colours,
                    stages,
                    "Gradient magnitude across layers (" + when + ")",
                    "‖∇W_l‖ (L2)",
                    lines(shown, w, false),
                    "flow_w_linear_" + tag + ".png");
            layerChart(
                    page,
                    colours,
                    stages,
                    "log10 gradient magnitude across layers (" + when + ")",
                    "log10 ‖∇W_l‖",
                    lines(shown, w, true),
                    "flow_w_log_" + tag + ".png");
            layerChart(
                    page,
                    colours,
                    stages,
                    "Back-propagated signal δ_l across layers (" + when + ")",
                    "log10 ‖δ_l‖",
                    lines(shown, d, true),
                    "flow_delta_log_" + tag + ".png");
            page.md
                    .append("### ")
                    .append(when.substring(0, 1).toUpperCase())
                    .append(when.substring(1))
                    .append("\n\n");
            page.md.append("Linear scale: the small gradients of the early layers are indistinguishable from 0.\n\n");
            page.image("flow_w_linear_" + tag + ".png", "gradient norm per layer, linear, " + when);
            page.md.append("log10 scale: exponential decay is a straight line; its slope is the decay per layer.\n\n");
            page.image("flow_w_log_" + tag + ".png", "gradient norm per layer, log10, " + when);
            page.md.append(
                    "The back-propagated signal δ alone (see above), without the forward activations that ‖∇W‖ mixes in.\n\n");
            page.image("flow_delta_log_" + tag + ".png", "delta per layer, log10, " + when);
        }
    }

    /** Joined as m: each run's last step (the "last" of --steps). */
    static final String LAST_STEP = "JOIN (SELECT run_id, max(step) AS last FROM steps GROUP BY run_id) m";

    /** SQL condition: the step column is one of the chosen steps (numbers, or "last": m.last of {@link #LAST_STEP}). */
    static String stepFilter(List<String> steps, String stepCol) {
        List<Integer> fixed = new ArrayList<>();
        boolean last = false;
        for (String s : steps) {
            if (s.equals("last")) last = true;
            else fixed.add(Integer.parseInt(s));
        }
        return (fixed.isEmpty()
                        ? "false"
                        : stepCol + " IN ("
                                + fixed.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")")
                + (last ? " OR " + stepCol + " = m.last" : "");
    }

    /** Whether a row of the given step (isLast: the run's last step) belongs to the chosen step s. */
    static boolean atStep(String s, int step, boolean isLast) {
        return s.equals("last") ? isLast : step == Integer.parseInt(s);
    }

    /** Titles, file tags: "last step" / "last", "step 0" / "step0". */
    static String when(String s) {
        return s.equals("last") ? "last step" : "step " + s;
    }

    static String tag(String s) {
        return s.equals("last") ? "last" : "step" + s;
    }

    /** Adds one run's value at x to its configuration's geometric mean over seeds (non-positive values are skipped). */
    static void add(Map<String, TreeMap<Integer, double[]>> m, String c, int x, double v) {
        TreeMap<Integer, double[]> t = m.computeIfAbsent(c, k -> new TreeMap<>());
        double[] acc = t.computeIfAbsent(x, k -> new double[2]); // sum of log10, count of positive values
        if (v > 0 && Double.isFinite(v)) {
            acc[0] += Math.log10(v);
            acc[1]++;
        }
    }

    private static void layerChart(
            ReportPage page,
            Map<String, Color> colours,
            Map<Double, List<String>> stages,
            String title,
            String yTitle,
            List<Charts.Line> ls,
            String file)
            throws IOException {
        XYChart c = Charts.lines(title, "layer (0 = input side)", yTitle, ls, true);
        ConvPlots.markStages(c, stages, ls);
        page.save(c, colours, file);
    }

    static List<Charts.Line> lines(List<String> shown, Map<String, TreeMap<Integer, double[]>> m, boolean log) {
        List<Charts.Line> out = new ArrayList<>();
        for (String c : shown) {
            TreeMap<Integer, double[]> t = m.get(c);
            if (t == null) continue;
            double[] x = new double[t.size()], y = new double[t.size()];
            int i = 0;
            for (var e : t.entrySet()) {
                x[i] = e.getKey();
                double g = e.getValue()[1] == 0 ? Double.NaN : e.getValue()[0] / e.getValue()[1];
                y[i++] = log ? g : Math.pow(10, g);
            }
            out.add(new Charts.Line(c, x, y));
        }
        return out;
    }
}
