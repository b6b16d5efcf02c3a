package dev.gradsweep.report;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.analysis.SqlViews;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
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

/**
 * {@code gradsweep report}: PNG plots and a README.md that embeds them. Everything sized by the sweep (per-layer and
 * per-step rows) is aggregated or filtered in Spark; the driver collects one row per run (verdicts), the axis
 * effects, and the profiles of a bounded number of representative runs, so thousands of runs render in bounded
 * time and memory.
 */
public final class Report {
    /**
     * @param steps      steps of the gradient-flow plots: numbers, or "last" (each run's last step)
     * @param maxLines   configurations drawn as lines (representatives chosen by their delta slope when there are more)
     * @param maxHeatmaps runs drawn as heat maps (representatives chosen by log10_delta_in)
     * @param command    the command line that regenerates the report, written into the README
     */
    public record Options(String in, Path to, List<String> steps, int maxLines, int maxHeatmaps,
                          Map<String, String> conf, String command) {}

    public record Summary(Path readme, List<Path> images, Map<String, Long> verdicts, List<String> findings) {}

    static final Color[] PALETTE = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
            new Color(255, 127, 14), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
            new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};
    static final int HEAT_COLUMNS = 60, LOSS_POINTS = 200, TABLE_ROWS = 40;
    /** Histogram bin width in decades. */
    static final double BIN = 0.25;

    private final SparkSession spark;
    private final Options o;
    private final List<Path> images = new ArrayList<>();
    private final StringBuilder md = new StringBuilder();

    private Report(SparkSession spark, Options o) {
        this.spark = spark;
        this.o = o;
    }

    public static Summary write(SparkSession spark, Options o) throws IOException {
        return new Report(spark, o).run();
    }

    private Summary run() throws IOException {
        Map<String, String> params = AnalysisParams.resolve(o.conf());
        SqlViews.register(spark, o.in(), o.conf());
        Files.createDirectories(o.to());
        try (var stale = Files.list(o.to())) { // a report directory holds one report: drop plots of an earlier one
            for (Path p : stale.filter(p -> p.toString().endsWith(".png")).toList()) Files.delete(p);
        }
        spark.catalog().cacheTable("verdicts"); // one row per run, read by every section below
        try {
            List<Map<String, Object>> verdicts = rows("SELECT * FROM verdicts ORDER BY run_id");
            List<Map<String, Object>> effects = rows("SELECT * FROM axis_effects ORDER BY axis, value");
            List<String> axes = varyingAxes(verdicts, effects);
            Map<String, String> labelOf = new LinkedHashMap<>();
            for (Map<String, Object> v : verdicts) labelOf.put((String) v.get("run_id"), label(v, axes));
            List<String> findings = Findings.sentences(verdicts, effects, v -> labelOf.get((String) v.get("run_id")));

            header(verdicts, axes);
            md.append("## Findings\n\n");
            findings.forEach(f -> md.append("- ").append(f).append('\n'));
            verdictSection(verdicts, labelOf);
            effectsSection(effects);
            Map<String, List<Map<String, Object>>> configs = configs(verdicts, labelOf);
            List<String> shown = representativeConfigs(configs);
            Map<String, Color> colours = new LinkedHashMap<>();
            for (String c : shown) colours.put(c, PALETTE[colours.size() % PALETTE.length]);
            flowSection(configs, shown, colours);
            histogramSection();
            heatSection(verdicts, labelOf);
            lossSection(axes);
            paramsSection(params);
            Path readme = o.to().resolve("README.md");
            Files.writeString(readme, md.toString());
            return new Summary(readme, images, Findings.ordered(Findings.counts(verdicts)), findings);
        } finally {
            spark.catalog().uncacheTable("verdicts");
        }
    }

    // ---- data ----

    private List<Map<String, Object>> rows(String sql) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : spark.sql(sql).collectAsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String c : r.schema().fieldNames()) m.put(c, r.getAs(c));
            out.add(m);
        }
        return out;
    }

    /** Axes that vary in this sweep, in the verdicts view's column order (axis_effects names them). */
    static List<String> varyingAxes(List<Map<String, Object>> verdicts, List<Map<String, Object>> effects) {
        Set<String> named = effects.stream().map(e -> (String) e.get("axis")).collect(Collectors.toSet());
        if (verdicts.isEmpty()) return List.of();
        return verdicts.get(0).keySet().stream().filter(named::contains).toList();
    }

    static String label(Map<String, Object> v, List<String> axes) {
        if (axes.isEmpty()) return String.valueOf(v.get("activation"));
        return axes.stream().map(a -> switch (a) {
            case "activation", "init" -> String.valueOf(v.get(a));
            default -> a + " " + (v.get(a) instanceof Number n ? Findings.fmt(n.doubleValue()) : String.valueOf(v.get(a)));
        }).collect(Collectors.joining(" · "));
    }

    /** Runs grouped by configuration (seeds are replicates). */
    private static Map<String, List<Map<String, Object>>> configs(List<Map<String, Object>> verdicts, Map<String, String> labelOf) {
        Map<String, List<Map<String, Object>>> m = new TreeMap<>();
        for (Map<String, Object> v : verdicts) m.computeIfAbsent(labelOf.get((String) v.get("run_id")), k -> new ArrayList<>()).add(v);
        return m;
    }

    private List<String> representativeConfigs(Map<String, List<Map<String, Object>>> configs) {
        List<String> names = new ArrayList<>(configs.keySet());
        names.sort(Comparator.comparingDouble(c -> medianOf(configs.get(c), "slope_delta")));
        return spread(names, o.maxLines());
    }

    /** At most n items evenly spread over a sorted list, both ends included. */
    static <T> List<T> spread(List<T> sorted, int n) {
        if (sorted.size() <= n) return sorted;
        Set<T> out = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) out.add(sorted.get((int) Math.round(i * (sorted.size() - 1) / (double) (n - 1))));
        return new ArrayList<>(out);
    }

    private static double medianOf(List<Map<String, Object>> runs, String col) {
        double[] v = runs.stream().mapToDouble(r -> Findings.num(r, col)).filter(d -> !Double.isNaN(d)).sorted().toArray();
        return v.length == 0 ? Double.POSITIVE_INFINITY : v[v.length / 2];
    }

    private static String inList(java.util.Collection<String> ids) {
        return ids.stream().map(s -> "'" + s.replace("'", "") + "'").collect(Collectors.joining(", "));
    }

    private Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, String name) throws IOException {
        Path p = o.to().resolve(name);
        Charts.save(c, p);
        images.add(p);
        return p;
    }

    private void image(String name, String alt) {
        md.append("![").append(alt).append("](").append(name).append(")\n\n");
    }

    // ---- sections ----

    private void header(List<Map<String, Object>> verdicts, List<String> axes) {
        Map<String, Object> any = verdicts.get(0);
        md.append("# gradsweep report: ").append(any.get("sweep")).append("\n\n");
        md.append("Regenerate with:\n\n```bash\n").append(o.command()).append("\n```\n\n");
        md.append(verdicts.size()).append(" runs of the `").append(any.get("task")).append("` task. ");
        if (axes.isEmpty()) md.append("No axis varies.");
        else {
            md.append("Axes that vary: ");
            md.append(axes.stream().map(a -> "**" + a + "** " + verdicts.stream().map(v -> String.valueOf(v.get(a)))
                    .distinct().sorted(valueOrder()).collect(Collectors.joining(", "))).collect(Collectors.joining("; ")));
            md.append(".");
        }
        long seeds = verdicts.stream().map(v -> v.get("seed")).distinct().count();
        md.append(" ").append(seeds).append(seeds == 1 ? " seed" : " seeds (replicates of each configuration)").append(".\n\n");
        md.append("Layer 0 is nearest the input; the output layer is the last. δ_l is the back-propagated signal: ∂L/∂z_l "
                + "at layer l's pre-activation (its bias gradient, or its norm's beta gradient) in plain nets, ∂L/∂y_l at "
                + "block l's output in block nets; ‖∇W_l‖ mixes it with the forward activations, so the verdicts read δ, "
                + "activation scale and update ratios. Slopes are of log10 over the layer index, in decades per layer "
                + "(> 0: shrinks toward the input).\n\n");
    }

    private void verdictSection(List<Map<String, Object>> verdicts, Map<String, String> labelOf) {
        md.append("\n## Verdicts\n\n| verdict | runs |\n|---|---|\n");
        Findings.ordered(Findings.counts(verdicts)).forEach((k, n) -> md.append("| ").append(k).append(" | ").append(n).append(" |\n"));
        List<Map<String, Object>> sorted = new ArrayList<>(verdicts);
        sorted.sort(Comparator.comparingInt((Map<String, Object> v) -> Findings.VERDICTS.indexOf((String) v.get("verdict")))
                .thenComparing(v -> labelOf.get((String) v.get("run_id"))));
        md.append("\n");
        if (sorted.size() > TABLE_ROWS)
            md.append("The ").append(TABLE_ROWS).append(" runs below are the first of ").append(sorted.size())
                    .append(" (worst verdicts first); `gradsweep sql --in DIR -e \"SELECT * FROM verdicts\"` lists all.\n\n");
        md.append("| configuration | seed | verdict | log10 δ₀/δ_ref | log10 act scale | slope δ | slope ‖∇W‖ | saturated | dead | stall layer | stall step | loss first → last | gap closed | reason | try |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> v : sorted.subList(0, Math.min(TABLE_ROWS, sorted.size()))) {
            md.append("| ").append(labelOf.get((String) v.get("run_id"))).append(" | ").append(v.get("seed"))
                    .append(" | **").append(v.get("verdict")).append("** | ")
                    .append(f(v, "log10_delta_in")).append(" | ").append(f(v, "log10_act_out")).append(" | ")
                    .append(f(v, "slope_delta")).append(" | ").append(f(v, "slope_w")).append(" | ")
                    .append(f(v, "saturated_frac")).append(" | ").append(f(v, "dead_frac")).append(" | ")
                    .append(v.get("stall_layer") == null ? "–" : v.get("stall_layer")).append(" | ")
                    .append(v.get("stall_step") == null ? "–" : v.get("stall_step")).append(" | ")
                    .append(f(v, "loss_first")).append(" → ").append(f(v, "loss_last")).append(" | ")
                    .append(f(v, "gap_closed")).append(" | ").append(cell(v.get("reason"))).append(" | ")
                    .append(cell(v.get("try"))).append(" |\n");
        }
        md.append("\nlog10 δ₀/δ_ref: the back-propagated signal at layer 0 relative to the output layer's (block nets: the last "
                + "block's; median over steps); gap closed: 1 − loss_last / the best constant predictor's loss; "
                + "log10 act scale: std of the last hidden layer's activations relative to layer 0's; stall layer: the layer "
                + "nearest the output below the vanishing threshold; stall step: from this step on the loss stopped "
                + "improving (– = still improving, or no plateau).\n");
    }

    private static String f(Map<String, Object> v, String col) {
        return Findings.fmt(Findings.num(v, col));
    }

    /** A text cell of a Markdown table: "–" when missing, pipes escaped. */
    private static String cell(Object o) {
        return o == null ? "–" : o.toString().replace("|", "\\|");
    }

    private void effectsSection(List<Map<String, Object>> effects) {
        md.append("\n## What fixes it: `axis_effects`\n\n");
        if (effects.isEmpty()) {
            md.append("No axis varies in this sweep.\n");
            return;
        }
        List<String> shares = Findings.reversed(Findings.VERDICTS);
        md.append("| axis | value | runs | ").append(String.join(" | ", shares)).append(" | median slope δ | median slope ‖∇W‖ | fixes | held fixed |\n");
        md.append("|---|---|---|").append("---|".repeat(shares.size())).append("---|---|---|---|\n");
        for (Map<String, Object> e : effects) {
            md.append("| ").append(e.get("axis")).append(" | ").append(e.get("value")).append(" | ").append(e.get("runs"));
            for (String v : shares)
                md.append(" | ").append(Findings.pct(Findings.num(e, v)));
            md.append(" | ").append(f(e, "median_slope_delta")).append(" | ").append(f(e, "median_slope_w"))
                    .append(" | ").append(e.get("fixes")).append("/").append(e.get("broken_contexts"))
                    .append(" | ").append(Boolean.TRUE.equals(e.get("held_fixed")) ? "yes" : "no").append(" |\n");
        }
        md.append("\nShares of runs per verdict; fixes = configurations (other axes fixed) where this value is healthy "
                + "and another value of the axis is not, of those where some value is not.\n");
    }

    /** Gradient flow over layers at the chosen steps, one line per configuration (geometric mean over seeds). */
    private void flowSection(Map<String, List<Map<String, Object>>> configs, List<String> shown, Map<String, Color> colours) throws IOException {
        md.append("\n## Gradient flow across layers\n\n");
        if (shown.size() < configs.size())
            md.append(shown.size()).append(" of ").append(configs.size()).append(" configurations, chosen to span the range "
                    + "of delta slopes; ");
        md.append("each line is the geometric mean over a configuration's seeds.\n\n");
        Map<String, String> configOfRun = new LinkedHashMap<>();
        for (String c : shown) for (Map<String, Object> v : configs.get(c)) configOfRun.put((String) v.get("run_id"), c);
        List<Integer> fixed = new ArrayList<>();
        boolean last = false;
        for (String s : o.steps()) {
            if (s.equals("last")) last = true;
            else fixed.add(Integer.parseInt(s));
        }
        String stepFilter = (fixed.isEmpty() ? "false" : "p.step IN (" + fixed.stream().map(String::valueOf).collect(Collectors.joining(",")) + ")")
                + (last ? " OR p.step = m.last" : "");
        List<Row> rs = spark.sql("SELECT p.run_id, p.step, p.layer, p.grad_w, p.delta, p.step = m.last AS is_last "
                + "FROM layer_profile p JOIN (SELECT run_id, max(step) AS last FROM steps GROUP BY run_id) m ON m.run_id = p.run_id "
                + "WHERE p.run_id IN (" + inList(configOfRun.keySet()) + ") AND (" + stepFilter + ")").collectAsList();
        for (String s : o.steps()) {
            // config -> layer -> log10 values over seeds
            Map<String, TreeMap<Integer, double[]>> w = new LinkedHashMap<>(), d = new LinkedHashMap<>();
            for (Row r : rs) {
                boolean match = s.equals("last") ? r.getBoolean(5) : r.getInt(1) == Integer.parseInt(s);
                if (!match) continue;
                String c = configOfRun.get(r.getString(0));
                add(w, c, r.getInt(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3));
                add(d, c, r.getInt(2), r.isNullAt(4) ? Double.NaN : r.getDouble(4));
            }
            String when = s.equals("last") ? "last step" : "step " + s;
            String tag = s.equals("last") ? "last" : "step" + s;
            XYChart lin = Charts.lines("Gradient magnitude across layers (" + when + ")", "layer (0 = input side)",
                    "‖∇W_l‖ (L2)", lines(shown, w, false), true);
            Charts.colour(lin, colours);
            save(lin, "flow_w_linear_" + tag + ".png");
            XYChart log = Charts.lines("log10 gradient magnitude across layers (" + when + ")", "layer (0 = input side)",
                    "log10 ‖∇W_l‖", lines(shown, w, true), true);
            Charts.colour(log, colours);
            save(log, "flow_w_log_" + tag + ".png");
            XYChart dl = Charts.lines("Back-propagated signal δ_l across layers (" + when + ")", "layer (0 = input side)",
                    "log10 ‖δ_l‖", lines(shown, d, true), true);
            Charts.colour(dl, colours);
            save(dl, "flow_delta_log_" + tag + ".png");
            md.append("### ").append(when.substring(0, 1).toUpperCase()).append(when.substring(1)).append("\n\n");
            md.append("Linear scale: the small gradients of the early layers are indistinguishable from 0.\n\n");
            image("flow_w_linear_" + tag + ".png", "gradient norm per layer, linear, " + when);
            md.append("log10 scale: exponential decay is a straight line; its slope is the decay per layer.\n\n");
            image("flow_w_log_" + tag + ".png", "gradient norm per layer, log10, " + when);
            md.append("The back-propagated signal δ alone (see above), without the forward activations that ‖∇W‖ mixes in.\n\n");
            image("flow_delta_log_" + tag + ".png", "delta per layer, log10, " + when);
        }
    }

    private static void add(Map<String, TreeMap<Integer, double[]>> m, String c, int layer, double v) {
        TreeMap<Integer, double[]> t = m.computeIfAbsent(c, k -> new TreeMap<>());
        double[] acc = t.computeIfAbsent(layer, k -> new double[2]); // sum of log10, count of positive values
        if (v > 0 && Double.isFinite(v)) {
            acc[0] += Math.log10(v);
            acc[1]++;
        }
    }

    private static List<Charts.Line> lines(List<String> shown, Map<String, TreeMap<Integer, double[]>> m, boolean log) {
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

    /** Histograms of log10 ‖∇W_l‖ and ‖δ_l‖ per activation over every layer and step, binned in Spark. */
    private void histogramSection() throws IOException {
        md.append("\n## Distribution of per-layer gradient magnitudes\n\n");
        List<Row> rs = spark.sql("SELECT r.activation, p.param, floor(log10(p.grad_l2) / " + BIN + ") AS bin, count(*) AS n, "
                + "count_if(p.grad_l2 = 0) AS zeros FROM params p JOIN runs r ON r.run_id = p.run_id "
                + "WHERE p.param IN ('W', 'b') AND (p.grad_l2 >= 0) GROUP BY 1, 2, 3").collectAsList();
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
                long total = e.getValue().values().stream().mapToLong(Long::longValue).sum();
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
            XYChart c = Charts.histogram("Distribution of per-layer " + what + " by activation", "log10 " + what
                    + " (bins of " + BIN + " decades)", "share of layer-steps", ls);
            Map<String, Color> col = new LinkedHashMap<>();
            for (Charts.Line l : ls) col.put(l.name(), PALETTE[col.size() % PALETTE.length]);
            Charts.colour(c, col);
            save(c, file);
            image(file, "histogram of " + what);
            long z = zeros.values().stream().mapToLong(Long::longValue).sum();
            if (z > 0)
                md.append("Exact zeros (left out of the log scale): ").append(zeros.entrySet().stream().filter(e -> e.getValue() > 0)
                        .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append(" layer-steps.\n\n");
        }
    }

    /** Heat maps of log10 ‖δ_l‖ over layer x step for representative runs (step buckets averaged in Spark). */
    private void heatSection(List<Map<String, Object>> verdicts, Map<String, String> labelOf) throws IOException {
        md.append("\n## Where and when: log10 ‖δ_l‖ over layer × step\n\n");
        List<Map<String, Object>> ranked = verdicts.stream().filter(v -> v.get("log10_delta_in") != null)
                .sorted(Comparator.comparingDouble(v -> Findings.num(v, "log10_delta_in"))).toList();
        List<Map<String, Object>> pick = spread(ranked, o.maxHeatmaps());
        if (pick.size() < verdicts.size())
            md.append(pick.size()).append(" of ").append(verdicts.size()).append(" runs, from the weakest to the strongest "
                    + "signal at layer 0. ");
        md.append("Each colour scale is the run's own; exact zeros are left blank.\n\n");
        if (pick.isEmpty()) return;
        Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        pick.forEach(v -> byId.put((String) v.get("run_id"), v));
        List<Row> rs = spark.sql("SELECT p.run_id, p.layer, floor(p.step * " + HEAT_COLUMNS + " / greatest(m.n, " + HEAT_COLUMNS + ")) AS col, "
                + "min(p.step) AS first_step, avg(log10(p.delta)) AS v FROM layer_profile p "
                + "JOIN (SELECT run_id, max(step) + 1 AS n FROM steps GROUP BY run_id) m ON m.run_id = p.run_id "
                + "WHERE p.run_id IN (" + inList(byId.keySet()) + ") AND p.delta > 0 AND p.delta < double('Infinity') "
                + "GROUP BY 1, 2, 3").collectAsList();
        int i = 0;
        for (var e : byId.entrySet()) {
            List<Row> mine = rs.stream().filter(r -> r.getString(0).equals(e.getKey())).toList();
            if (mine.isEmpty()) continue;
            int layers = mine.stream().mapToInt(r -> r.getInt(1)).max().orElse(0) + 1;
            int cols = (int) mine.stream().mapToLong(r -> r.getLong(2)).max().orElse(0) + 1;
            int[] xs = new int[cols], ys = new int[layers];
            double[][] v = new double[layers][cols];
            for (double[] row : v) java.util.Arrays.fill(row, Double.NaN);
            for (int y = 0; y < layers; y++) ys[y] = y;
            for (Row r : mine) {
                int x = (int) r.getLong(2);
                xs[x] = r.getInt(3);
                v[r.getInt(1)][x] = r.getDouble(4);
            }
            Map<String, Object> run = e.getValue();
            String name = "heat_" + (++i) + ".png";
            save(Charts.heatMap(labelOf.get(e.getKey()) + " (seed " + run.get("seed") + "): " + run.get("verdict") + ", colour = log10 ‖δ_l‖",
                    "step", "layer (0 = input side)", xs, ys, v), name);
            image(name, "heat map of log10 delta, " + labelOf.get(e.getKey()));
        }
    }

    /** Median loss per step for each value of each varying axis (percentiles in Spark, at most LOSS_POINTS steps). */
    private void lossSection(List<String> axes) throws IOException {
        md.append("\n## Loss curves by axis\n\nMedian training loss over the runs that share the value (diverged runs drop "
                + "out at their last finite step).\n\n");
        long maxStep = spark.sql("SELECT coalesce(max(step), 0) FROM steps").first().getInt(0);
        long every = Math.max(1, (maxStep + LOSS_POINTS) / LOSS_POINTS);
        for (String axis : axes) {
            List<Row> rs = spark.sql("SELECT cast(r." + axis + " AS string) AS value, floor(s.step / " + every + ") * " + every
                    + " AS step, percentile_approx(s.loss, 0.5) AS loss FROM steps s JOIN runs r ON r.run_id = s.run_id "
                    + "WHERE NOT isnan(s.loss) AND abs(s.loss) < double('Infinity') GROUP BY 1, 2 ORDER BY 1, 2").collectAsList();
            Map<String, List<double[]>> pts = new TreeMap<>(valueOrder());
            double lo = Double.POSITIVE_INFINITY, hi = 0;
            for (Row r : rs) {
                pts.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(new double[]{r.getLong(1), r.getDouble(2)});
                if (r.getDouble(2) > 0) lo = Math.min(lo, r.getDouble(2));
                hi = Math.max(hi, r.getDouble(2));
            }
            boolean logScale = lo > 0 && hi / lo > 100;
            List<Charts.Line> ls = new ArrayList<>();
            for (var e : pts.entrySet()) {
                double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
                double[] y = e.getValue().stream().mapToDouble(p -> logScale && p[1] <= 0 ? Double.NaN : p[1]).toArray();
                ls.add(new Charts.Line(axis + " " + e.getKey(), x, y));
            }
            XYChart c = Charts.lines("Training loss by " + axis + " (median over runs)", "step",
                    logScale ? "loss (log scale)" : "loss", ls, false);
            c.getStyler().setYAxisLogarithmic(logScale);
            Map<String, Color> col = new LinkedHashMap<>();
            for (Charts.Line l : ls) col.put(l.name(), PALETTE[col.size() % PALETTE.length]);
            Charts.colour(c, col);
            String file = "loss_by_" + axis + ".png";
            save(c, file);
            image(file, "loss curves by " + axis);
        }
    }

    /** Numeric values in numeric order (depth 5 before 20), others alphabetically. */
    static Comparator<String> valueOrder() {
        return (a, b) -> {
            try {
                return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
            } catch (NumberFormatException e) {
                return a.compareTo(b);
            }
        };
    }

    private void paramsSection(Map<String, String> params) {
        md.append("\n## Thresholds used\n\nDefaults live in `jobs/sql/00_params.sql`; override with `--conf KEY=VALUE`.\n\n"
                + "| parameter | value | meaning |\n|---|---|---|\n");
        params.forEach((k, v) -> md.append("| `").append(k).append("` | ").append(v).append(" | ")
                .append(AnalysisParams.ALL.get(k).doc()).append(" |\n"));
    }
}
