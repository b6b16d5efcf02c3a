package dev.gradsweep.report;

import java.io.IOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Where and when: heat maps of log10 ‖δ_l‖ over layer × step for representative runs. */
final class HeatMaps {
    /** Step buckets per heat map (averaged in Spark), so long runs render in bounded size. */
    static final int HEAT_COLUMNS = 60;

    private HeatMaps() {}

    /** Heat maps of log10 ‖δ_l‖ over layer x step for representative runs (step buckets averaged in Spark). */
    static void draw(
            SparkSession spark,
            ReportPage page,
            List<Map<String, Object>> verdicts,
            Map<String, String> labelOf,
            int maxHeatmaps)
            throws IOException {
        page.md.append("\n## Where and when: log10 ‖δ_l‖ over layer × step\n\n");
        List<Map<String, Object>> ranked = verdicts.stream()
                .filter(v -> v.get("log10_delta_in") != null)
                .sorted(Comparator.comparingDouble(v -> Findings.num(v, "log10_delta_in")))
                .toList();
        List<Map<String, Object>> pick = Representatives.spread(ranked, maxHeatmaps);
        if (pick.size() < verdicts.size())
            page.md
                    .append(pick.size())
                    .append(" of ")
                    .append(verdicts.size())
                    .append(" runs, from the weakest to the strongest " + "signal at layer 0. ");
        page.md
                .append("Each colour scale is the run's own; exact zeros are left blank.")
                .append(ConvPlots.stageNote(pick))
                .append("\n\n");
        if (pick.isEmpty()) return;
        Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        pick.forEach(v -> byId.put((String) v.get("run_id"), v));
        List<Row> rs = spark.sql("SELECT p.run_id, p.layer, " + column("p.step") + " AS col, "
                        + "min(p.step) AS first_step, avg(log10(p.delta)) AS v FROM layer_profile p "
                        + STEPS_PER_RUN + " ON m.run_id = p.run_id "
                        + "WHERE p.run_id IN (" + Queries.inList(byId.keySet())
                        + ") AND p.delta > 0 AND p.delta < double('Infinity') "
                        + "GROUP BY 1, 2, 3")
                .collectAsList();
        render(page, byId, labelOf, rs, "heat_", "layer (0 = input side)", "log10 ‖δ_l‖", null);
    }

    /** Joined as m: each run's number of steps, which {@link #column} buckets. */
    static final String STEPS_PER_RUN = "JOIN (SELECT run_id, max(step) + 1 AS n FROM steps GROUP BY run_id) m";

    /** The heat-map column of a step: HEAT_COLUMNS buckets over the run's m.n steps (averaged in Spark). */
    static String column(String step) {
        return "floor(" + step + " * " + HEAT_COLUMNS + " / greatest(m.n, " + HEAT_COLUMNS + "))";
    }

    /**
     * One heat map per run of byId, in its order, from rows (run_id, y, column, first step of the column, value):
     * value[y][column], the columns labelled by their first step; saved as prefix1.png, prefix2.png, ... range (lo,
     * hi) is every map's colour scale; null: each map's own.
     */
    static void render(
            ReportPage page,
            Map<String, Map<String, Object>> byId,
            Map<String, String> labelOf,
            List<Row> rs,
            String prefix,
            String yTitle,
            String what,
            double[] range)
            throws IOException {
        int i = 0;
        for (var e : byId.entrySet()) {
            List<Row> mine =
                    rs.stream().filter(r -> r.getString(0).equals(e.getKey())).toList();
            if (mine.isEmpty()) continue;
            int rows = mine.stream().mapToInt(r -> r.getInt(1)).max().orElse(0) + 1;
            int cols = (int) mine.stream().mapToLong(r -> r.getLong(2)).max().orElse(0) + 1;
            int[] xs = new int[cols], ys = new int[rows];
            double[][] v = new double[rows][cols];
            for (double[] row : v) java.util.Arrays.fill(row, Double.NaN);
            for (int y = 0; y < rows; y++) ys[y] = y;
            for (Row r : mine) {
                int x = (int) r.getLong(2);
                xs[x] = r.getInt(3);
                v[r.getInt(1)][x] = r.getDouble(4);
            }
            Map<String, Object> run = e.getValue();
            String name = prefix + (++i) + ".png";
            page.save(
                    Charts.heatMap(
                            labelOf.get(e.getKey()) + " (seed " + run.get("seed") + "): " + run.get("verdict")
                                    + ", colour = " + what,
                            "step",
                            yTitle,
                            xs,
                            ys,
                            v,
                            range),
                    name);
            page.image(name, "heat map of " + what + ", " + labelOf.get(e.getKey()));
        }
    }
}
