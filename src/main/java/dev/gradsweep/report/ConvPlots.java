package dev.gradsweep.report;

import dev.gradsweep.bench.Quantiles;
import dev.gradsweep.conv.ConvSpec;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.XYChart;

/**
 * Conv runs (arch conv, docs/conv.md): He et al. 2016's Fig. 7 (the response std of every 3 × 3 layer), the loss of
 * each configuration over steps (their degradation picture), and the stage boundaries marked on per-layer plots.
 */
final class ConvPlots {
    /** The response plot's aggregate: each run's mean over its last this many steps (a step's batch is noisy). */
    static final int LAST_STEPS = 10;

    private ConvPlots() {}

    static boolean conv(Map<String, Object> run) {
        return "conv".equals(run.get("arch"));
    }

    /** Response std per conv layer and loss per configuration, for the shown configurations that are conv nets. */
    static void draw(
            SparkSession spark,
            ReportPage page,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours)
            throws IOException {
        List<String> mine =
                shown.stream().filter(c -> conv(configs.get(c).get(0))).toList();
        if (mine.isEmpty()) return;
        Map<String, String> configOfRun = new LinkedHashMap<>();
        for (String c : mine) for (Map<String, Object> v : configs.get(c)) configOfRun.put((String) v.get("run_id"), c);
        Map<String, TreeMap<Integer, double[]>> resp = responses(spark, configOfRun);
        if (!resp.isEmpty()) {
            List<Charts.Line> ls = means(mine, resp);
            XYChart c = Charts.lines(
                    "Response std per 3 × 3 conv layer (mean of the last " + LAST_STEPS + " steps)",
                    "3 × 3 conv layer (0 = stem; a block's response is its second conv)",
                    "std of the layer's response",
                    ls,
                    true);
            markStages(c, stageBounds(runsOf(configs, mine), true), ls);
            page.save(c, colours, "conv_response_std.png");
            page.md
                    .append("\n## Conv layers: response std (He et al. 2016, Fig. 7)\n\n")
                    .append("The std of each 3 × 3 conv layer's response (`layers.response_std`; post placement: its ")
                    .append("output after the norm, before the activation or the residual sum; pre placement: the ")
                    .append("conv's raw output), averaged over each run's last ")
                    .append(LAST_STEPS)
                    .append(" steps and over the configuration's seeds. He et al. found the ResNets' responses ")
                    .append("smaller than the plain nets' of equal depth (residual functions closer to zero) after ")
                    .append("full training; batch norm starts every response at std 1 (γ = 1). ")
                    .append("Dashed lines: where a stage starts (channels double, the image halves).\n\n");
            page.image("conv_response_std.png", "response std per conv layer");
        }
        long every = LossCurves.bucket(spark) * 4; // a quarter of the loss curves' points: minibatch noise hides less
        Map<String, List<double[]>> perRun = LossCurves.points(
                spark,
                "SELECT run_id, floor(step / " + every + ") * " + every + ", avg(loss) FROM steps WHERE run_id IN ("
                        + Queries.inList(configOfRun.keySet()) + ") AND NOT isnan(loss) AND abs(loss) < "
                        + "double('Infinity') GROUP BY 1, 2 ORDER BY 1, 2");
        List<Charts.Line> ls = new ArrayList<>();
        for (String c : mine) {
            TreeMap<Double, List<Double>> at = new TreeMap<>();
            for (Map<String, Object> v : configs.get(c))
                for (double[] p : perRun.getOrDefault((String) v.get("run_id"), List.of()))
                    at.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
            double[] x = at.keySet().stream().mapToDouble(Double::doubleValue).toArray();
            double[] y = at.values().stream()
                    .mapToDouble(v -> Quantiles.median(
                            v.stream().mapToDouble(Double::doubleValue).toArray()))
                    .toArray();
            ls.add(new Charts.Line(c, x, y));
        }
        page.save(
                Charts.lines("Training loss per configuration (median over seeds)", "step", "loss (nats)", ls, false),
                colours,
                "conv_loss_by_config.png");
        page.md
                .append("\n## Conv nets: training loss per configuration\n\n")
                .append("He et al.'s degradation picture: a deeper plain net above a shallower one, a ResNet of the ")
                .append("same depth near or below the shallow ones. Each line is the median over the ")
                .append("configuration's seeds (means over buckets of steps); configurations that are one function ")
                .append("(a plain net is the same net under pre and post placement) lie on top of each other.\n\n");
        page.image("conv_loss_by_config.png", "training loss per conv configuration");
    }

    /**
     * Configuration → x (3 × 3 conv layer, {@link #convIndex}) → the sum of the runs' response stds (mean over their
     * last {@link #LAST_STEPS} steps) and their count.
     */
    static Map<String, TreeMap<Integer, double[]>> responses(SparkSession spark, Map<String, String> configOfRun) {
        Map<String, TreeMap<Integer, double[]>> out = new LinkedHashMap<>();
        for (Row r : spark.sql("SELECT l.run_id, l.layer, l.kind = 'block', avg(l.response_std) FROM layers l "
                        + FlowPlots.LAST_STEP + " ON m.run_id = l.run_id WHERE l.run_id IN ("
                        + Queries.inList(configOfRun.keySet())
                        + ") AND l.response_std IS NOT NULL AND l.step > m.last - "
                        + LAST_STEPS + " GROUP BY 1, 2, 3")
                .collectAsList()) {
            // the stem is conv 0; a block's response row is its second conv
            int x = r.getInt(1) < 0 ? 0 : convIndex(r.getInt(1), r.getBoolean(2)) + (r.getBoolean(2) ? 1 : 0);
            double[] acc = out.computeIfAbsent(configOfRun.get(r.getString(0)), k -> new TreeMap<>())
                    .computeIfAbsent(x, k -> new double[2]);
            acc[0] += r.getDouble(3);
            acc[1]++;
        }
        return out;
    }

    /**
     * The 3 × 3 conv layer index of unit u's first conv: the stem is 0, plain unit u is u + 1, block u's two convs
     * are 2u + 1 and 2u + 2 (a block's response row is its second conv's), so nets of equal conv depth line up.
     */
    static int convIndex(int unit, boolean blocks) {
        return (blocks ? 2 * unit : unit) + 1;
    }

    /**
     * Where the conv runs' stages start on a per-layer plot: half a layer before each stage's first unit, in units
     * (the flow plots' layers) or in 3 × 3 conv layers ({@link #convIndex}); each labelled "stage s" and the depths
     * whose boundary it is. Nets of one stage, or of other architectures, have none.
     */
    static Map<Double, List<String>> stageBounds(Collection<Map<String, Object>> runs, boolean convLayers) {
        Map<Double, TreeMap<Integer, TreeSet<Integer>>> at = new TreeMap<>(); // x -> stage -> depths
        for (Map<String, Object> v : runs) {
            if (!conv(v) || v.get("stages") == null) continue;
            int depth = ((Number) v.get("depth")).intValue(), stages = ((Number) v.get("stages")).intValue();
            boolean blocks = !"none".equals(v.get("skip"));
            for (int s = 1; s < stages; s++) {
                int u = ConvSpec.firstUnit(s, depth, stages);
                double x = (convLayers ? convIndex(u, blocks) : u) - 0.5;
                at.computeIfAbsent(x, k -> new TreeMap<>())
                        .computeIfAbsent(s, k -> new TreeSet<>())
                        .add(depth);
            }
        }
        Map<Double, List<String>> out = new LinkedHashMap<>();
        at.forEach((x, stages) -> {
            List<String> labels = new ArrayList<>();
            stages.forEach((s, depths) -> labels.add("stage " + s + " (depth "
                    + String.join(", ", depths.stream().map(String::valueOf).toList()) + ")"));
            out.put(x, labels);
        });
        return out;
    }

    /** For heat maps (no lines drawn on them): " Conv nets: stage 1 (depth 12) starts at layer 6; …", or "". */
    static String stageNote(Collection<Map<String, Object>> runs) {
        List<String> parts = new ArrayList<>();
        stageBounds(runs, false)
                .forEach((x, labels) -> labels.forEach(l -> parts.add(l + " starts at layer " + Math.round(x + 0.5))));
        return parts.isEmpty() ? "" : " Conv nets: " + String.join("; ", parts) + ".";
    }

    /**
     * Dashed vertical lines at the stage boundaries, their labels in rows of headroom added above the lines' highest
     * point (one row per boundary, so neighbouring labels never overlap each other or the data).
     */
    static void markStages(XYChart c, Map<Double, List<String>> bounds, List<Charts.Line> lines) {
        if (bounds.isEmpty()) return;
        double[] y = lines.stream()
                .flatMapToDouble(l -> Arrays.stream(l.y()))
                .filter(Double::isFinite)
                .toArray();
        c.getStyler().setAnnotationLineColor(new Color(120, 120, 120));
        c.getStyler()
                .setAnnotationLineStroke(new BasicStroke(
                        1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
        c.getStyler().setAnnotationTextFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        c.getStyler().setAnnotationTextFontColor(new Color(90, 90, 90));
        double top = Arrays.stream(y).max().orElse(Double.NaN),
                bottom = Arrays.stream(y).min().orElse(0);
        double row = Math.max(top - bottom, Math.abs(top) * 0.1 + 1e-12) * 0.07;
        if (Double.isFinite(top)) c.getStyler().setYAxisMax(top + row * (bounds.size() + 0.5));
        int i = 0;
        for (var b : bounds.entrySet()) {
            c.addAnnotation(new AnnotationLine(b.getKey(), true, false));
            if (Double.isFinite(top))
                c.addAnnotation(
                        new AnnotationText(String.join("; ", b.getValue()), b.getKey(), top + row * ++i, false));
        }
    }

    /** The runs of the configurations cs. */
    static List<Map<String, Object>> runsOf(Map<String, List<Map<String, Object>>> configs, List<String> cs) {
        return cs.stream().flatMap(c -> configs.get(c).stream()).toList();
    }

    /** One line per configuration: the mean over its runs at each x. */
    private static List<Charts.Line> means(List<String> order, Map<String, TreeMap<Integer, double[]>> m) {
        List<Charts.Line> out = new ArrayList<>();
        for (String c : order) {
            TreeMap<Integer, double[]> t = m.get(c);
            if (t == null) continue;
            out.add(new Charts.Line(
                    c,
                    t.keySet().stream().mapToDouble(Integer::doubleValue).toArray(),
                    t.values().stream().mapToDouble(a -> a[0] / a[1]).toArray()));
        }
        return out;
    }
}
