package dev.gradsweep.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

/** Histograms of per-layer gradient magnitudes per activation, binned in Spark (feed-forward runs). */
final class DistributionPlots {
    /** Histogram bin width in decades. */
    static final double BIN = 0.25;

    private DistributionPlots() {}

    /** Histograms of log10 ‖∇W_l‖ and ‖δ_l‖ per activation over every layer and step, binned in Spark. */
    static void draw(SparkSession spark, ReportPage page) throws IOException {
        page.md.append("\n## Distribution of per-layer gradient magnitudes\n\n");
        List<Row> rs = spark.sql("SELECT coalesce(r.activation, 'n/a'), p.param, floor(log10(p.grad_l2) / " + BIN
                        + ") AS bin, count(*) AS n, "
                        + "count_if(p.grad_l2 = 0) AS zeros FROM params p JOIN runs r ON r.run_id = p.run_id "
                        + "WHERE p.param IN ('W', 'b') AND (p.grad_l2 >= 0) AND r.cell = 'none' "
                        + "AND coalesce(r.arch, 'mlp') <> 'transformer' GROUP BY 1, 2, 3")
                .collectAsList();
        for (String param : List.of("W", "b")) {
            Map<String, TreeMap<Long, Long>> h = new TreeMap<>();
            Map<String, Long> zeros = new TreeMap<>();
            for (Row r : rs) {
                if (!r.getString(1).equals(param)) continue;
                zeros.merge(r.getString(0), r.getLong(4), Long::sum);
                if (r.isNullAt(2)) continue;
                h.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).merge(r.getLong(2), r.getLong(3), Long::sum);
            }
            List<Charts.Line> ls = new ArrayList<>();
            for (var e : h.entrySet()) {
                long total = e.getValue().values().stream()
                        .mapToLong(Long::longValue)
                        .sum();
                long lo = e.getValue().firstKey(), hi = e.getValue().lastKey();
                double[] x = new double[(int) (hi - lo + 3)], y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    long b = lo - 1 + i;
                    x[i] = b * BIN;
                    y[i] = e.getValue().getOrDefault(b, 0L) / (double) total;
                }
                ls.add(new Charts.Line(e.getKey(), x, y));
            }
            String what = param.equals("W") ? "‖∇W_l‖" : "‖δ_l‖ (bias gradient)";
            String file = param.equals("W") ? "hist_grad_w.png" : "hist_delta.png";
            XYChart c = Charts.histogram(
                    "Distribution of per-layer " + what + " by activation",
                    "log10 " + what + " (bins of " + BIN + " decades)",
                    "share of layer-steps",
                    ls);
            page.save(c, Charts.paletteByName(ls), file);
            page.image(file, "histogram of " + what);
            long z = zeros.values().stream().mapToLong(Long::longValue).sum();
            if (z > 0)
                page.md
                        .append("Exact zeros (left out of the log scale): ")
                        .append(zeros.entrySet().stream()
                                .filter(e -> e.getValue() > 0)
                                .map(e -> e.getKey() + " " + e.getValue())
                                .collect(Collectors.joining(", ")))
                        .append(" layer-steps.\n\n");
        }
    }
}
