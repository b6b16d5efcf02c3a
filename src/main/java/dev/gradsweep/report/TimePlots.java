package dev.gradsweep.report;

import java.awt.Color;
import java.io.IOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Recurrent runs through time (the timesteps table, bottom recurrent layer): their verdict evidence, the gradient flow
 * across time steps (log10 ‖∂L/∂h_t‖ over t, one line per configuration, as FlowPlots draws it over layers) and heat
 * maps over time step × training step (HeatMaps' rendering).
 */
final class TimePlots {
    /** The layer drawn: the bottom recurrent layer, whose ‖∂L/∂h_t‖ the verdicts read. */
    static final int LAYER = 0;

    private TimePlots() {}

    static void draw(
            SparkSession spark,
            ReportPage page,
            List<String> steps,
            List<Map<String, Object>> recurrent,
            Map<String, String> labelOf,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours,
            int maxHeatmaps)
            throws IOException {
        page.md.append("\n## Through time: recurrent runs\n\n");
        page.md.append(
                "‖∂L/∂h_t‖ is the gradient of the loss reaching the hidden state at time step t (t = 0 the first "
                        + "input, the loss reads t = T−1), of the bottom recurrent layer (layer 0). Memory horizon: how many "
                        + "steps back from t = T−1 it stays at or above the vanishing threshold of the last step's (T: it "
                        + "reaches t = 0); decay: the fitted slope of log10 ‖∂L/∂h_t‖ per step back (< 0 vanishing, > 0 "
                        + "exploding); medians over training steps.\n\n");
        table(page, recurrent, labelOf);
        lines(spark, page, steps, configs, shown, colours);
        heatMaps(spark, page, recurrent, labelOf, maxHeatmaps);
    }

    static void table(ReportPage page, List<Map<String, Object>> recurrent, Map<String, String> labelOf) {
        page.md.append(
                "| configuration | seed | verdict | T | memory horizon | decay (decades per step back) | log10 ‖∂L/∂h_{T−1}‖ / ‖∂L/∂h_0‖ | saturated | gap closed |\n");
        page.md.append("|---|---|---|---|---|---|---|---|---|\n");
        List<Map<String, Object>> sorted = TableSections.firstByConfiguration(recurrent, labelOf);
        for (Map<String, Object> v : sorted)
            page.row(
                    labelOf.get((String) v.get("run_id")),
                    v.get("seed"),
                    "**" + v.get("verdict") + "**",
                    v.get("seq_len"),
                    v.get("memory_horizon") == null ? "–" : v.get("memory_horizon"),
                    TableSections.f(v, "log10_slope_back"),
                    TableSections.f(v, "log10_last_over_first"),
                    TableSections.f(v, "saturated_frac"),
                    TableSections.f(v, "gap_closed"));
        page.md.append('\n');
    }

    /** log10 ‖∂L/∂h_t‖ over t at each chosen step, one line per configuration (geometric mean over seeds). */
    static void lines(
            SparkSession spark,
            ReportPage page,
            List<String> steps,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours)
            throws IOException {
        page.md.append("### Gradient flow across time steps\n\n");
        Map<String, String> configOfRun = page.linePerConfiguration(configs, shown, "decays");
        page.md.append(
                " A straight line is an exponential change through time; its slope is the decay per time step.\n\n");
        Map<String, Map<String, TreeMap<Integer, double[]>>> flow = flow(spark, steps, configOfRun);
        for (String s : steps) {
            Map<String, TreeMap<Integer, double[]>> g = flow.get(s);
            String when = FlowPlots.when(s), file = "time_flow_" + FlowPlots.tag(s) + ".png";
            page.save(
                    Charts.lines(
                            "log10 ‖∂L/∂h_t‖ across time steps (" + when + ")",
                            "time step t (0 = first input; the loss reads T−1)",
                            "log10 ‖∂L/∂h_t‖",
                            FlowPlots.lines(shown, g, true),
                            true),
                    colours,
                    file);
            page.image(file, "gradient through time, log10, " + when);
        }
    }

    /**
     * For each chosen step: configuration → t → (sum of log10 ‖∂L/∂h_t‖ over its seeds, count), layer {@link #LAYER}
     * (FlowPlots' accumulation: the lines are the geometric means).
     */
    static Map<String, Map<String, TreeMap<Integer, double[]>>> flow(
            SparkSession spark, List<String> steps, Map<String, String> configOfRun) {
        List<Row> rs = spark.sql("SELECT ts.run_id, ts.step, ts.t, ts.grad_h_l2, ts.step = m.last AS is_last "
                        + "FROM timesteps ts " + FlowPlots.LAST_STEP + " ON m.run_id = ts.run_id WHERE ts.layer = "
                        + LAYER + " AND ts.run_id IN (" + Queries.inList(configOfRun.keySet()) + ") AND ("
                        + FlowPlots.stepFilter(steps, "ts.step") + ")")
                .collectAsList();
        Map<String, Map<String, TreeMap<Integer, double[]>>> out = new LinkedHashMap<>();
        for (String s : steps) {
            Map<String, TreeMap<Integer, double[]>> g = new LinkedHashMap<>();
            for (Row r : rs)
                if (FlowPlots.atStep(s, r.getInt(1), r.getBoolean(4)))
                    FlowPlots.add(
                            g,
                            configOfRun.get(r.getString(0)),
                            r.getInt(2),
                            r.isNullAt(3) ? Double.NaN : r.getDouble(3));
            out.put(s, g);
        }
        return out;
    }

    /** Heat maps of log10 ‖∂L/∂h_t‖ over time step × training step, from the fastest decay to the strongest growth. */
    static void heatMaps(
            SparkSession spark,
            ReportPage page,
            List<Map<String, Object>> recurrent,
            Map<String, String> labelOf,
            int maxHeatmaps)
            throws IOException {
        page.md.append("### Where and when through time: log10 ‖∂L/∂h_t‖ over time step × training step\n\n");
        List<Map<String, Object>> ranked = recurrent.stream()
                .filter(v -> v.get("log10_slope_back") != null)
                .sorted(Comparator.comparingDouble(v -> Findings.num(v, "log10_slope_back")))
                .toList();
        List<Map<String, Object>> pick = Representatives.spread(ranked, maxHeatmaps);
        if (pick.size() < recurrent.size())
            page.md
                    .append(pick.size())
                    .append(" of ")
                    .append(recurrent.size())
                    .append(" recurrent runs, from the fastest decay to the strongest growth. ");
        page.md.append("Each colour scale is the run's own; exact zeros (underflow) and non-finite values are left "
                + "blank. A vertical band that fades toward t = 0 is a vanishing gradient; a change along the "
                + "training steps is training changing how far back the gradient reaches.\n\n");
        if (pick.isEmpty()) return;
        Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        pick.forEach(v -> byId.put((String) v.get("run_id"), v));
        List<Row> rs = spark.sql("SELECT ts.run_id, ts.t, " + HeatMaps.column("ts.step") + " AS col, "
                        + "min(ts.step) AS first_step, avg(log10(ts.grad_h_l2)) AS v FROM timesteps ts "
                        + HeatMaps.STEPS_PER_RUN + " ON m.run_id = ts.run_id WHERE ts.layer = " + LAYER
                        + " AND ts.run_id IN (" + Queries.inList(byId.keySet()) + ") "
                        + "AND ts.grad_h_l2 > 0 AND ts.grad_h_l2 < double('Infinity') GROUP BY 1, 2, 3")
                .collectAsList();
        HeatMaps.render(
                page, byId, labelOf, rs, "heat_time_", "time step t (0 = first input)", "log10 ‖∂L/∂h_t‖", null);
    }
}
