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
 * Transformer runs (arch = transformer) through their blocks: a table of their structure and attention evidence, δ and
 * the residual stream's RMS per block (the layers rows of kind block) at the chosen steps, one line per configuration
 * as FlowPlots draws, and attention entropy (the attention table) as block × training-step heat maps plus the lowest
 * head's entropy over training.
 */
final class TransformerPlots {
    /** δ and stream RMS at one step: configuration → block → (sum of log10 over seeds, count) (FlowPlots.add). */
    record Streams(Map<String, TreeMap<Integer, double[]>> delta, Map<String, TreeMap<Integer, double[]>> rms) {}

    private TransformerPlots() {}

    static void draw(
            SparkSession spark,
            ReportPage page,
            List<String> steps,
            List<Map<String, Object>> transformers,
            Map<String, String> labelOf,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours,
            int maxHeatmaps)
            throws IOException {
        page.md.append("\n## Through the blocks: transformer runs\n\n");
        page.md.append("Block l's δ is ‖∂L/∂y_l‖ at its output y_l (the residual stream leaving it, after the norm "
                + "under post placement), the gradient that reaches the blocks below; the stream's RMS is "
                + "√(act_mean² + act_std²) of the same `layers` row (kind `block`). Attention entropy is in nats: "
                + "ln T is uniform attention over T keys, 0 attention to a single key (entropy collapse).\n\n");
        Map<String, Map<String, Object>> attn = attention(spark, ids(transformers));
        table(page, transformers, labelOf, attn);
        lines(spark, page, steps, configs, shown, colours);
        entropy(spark, page, transformers, labelOf, configs, shown, colours, maxHeatmaps, attn);
    }

    private static List<String> ids(List<Map<String, Object>> runs) {
        return runs.stream().map(v -> (String) v.get("run_id")).toList();
    }

    /**
     * Per run, from its attention rows: entropy_first / entropy_last (mean over blocks and heads of entropy_mean at
     * step 0 / the run's last step), lowest_head (the smallest entropy_mean at the last step), max_logit (largest at
     * the last step) and token_cos (the last block's token_cos_mean at the last step).
     */
    static Map<String, Map<String, Object>> attention(SparkSession spark, List<String> ids) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        if (ids.isEmpty()) return out;
        String sql = "SELECT a.run_id, avg(CASE WHEN a.step = 0 THEN a.entropy_mean END) AS entropy_first, "
                + "avg(CASE WHEN a.step = m.last THEN a.entropy_mean END) AS entropy_last, "
                + "min(CASE WHEN a.step = m.last THEN a.entropy_mean END) AS lowest_head, "
                + "max(CASE WHEN a.step = m.last THEN a.max_logit END) AS max_logit, "
                + "max_by(CASE WHEN a.step = m.last THEN a.token_cos_mean END, "
                + "CASE WHEN a.step = m.last THEN a.layer END) AS token_cos FROM attention a "
                + "JOIN (SELECT run_id, max(step) AS last FROM attention GROUP BY run_id) m ON m.run_id = a.run_id "
                + "WHERE a.run_id IN (" + Queries.inList(ids) + ") AND a.step IN (0, m.last) GROUP BY a.run_id";
        for (Map<String, Object> r : Queries.rows(spark, sql)) out.put((String) r.get("run_id"), r);
        return out;
    }

    /** The verdict table with the transformer's own columns and its attention at the last step. */
    static void table(
            ReportPage page,
            List<Map<String, Object>> transformers,
            Map<String, String> labelOf,
            Map<String, Map<String, Object>> attn) {
        page.md.append(
                "| configuration | seed | verdict | depth | placement | norm | skip | heads | ffn | positions | T "
                        + "| log10 δ₀/δ_ref | entropy step 0 → last | lowest head | max logit | token cos | gap closed |\n");
        page.md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        List<Map<String, Object>> sorted = TableSections.firstByConfiguration(transformers, labelOf);
        for (Map<String, Object> v : sorted) {
            Map<String, Object> a = attn.getOrDefault((String) v.get("run_id"), Map.of());
            page.row(
                    labelOf.get((String) v.get("run_id")),
                    v.get("seed"),
                    "**" + v.get("verdict") + "**",
                    v.get("depth"),
                    v.get("placement"),
                    v.get("norm"),
                    v.get("skip"),
                    v.get("heads"),
                    v.get("ffn"),
                    v.get("positions"),
                    v.get("seq_len"),
                    TableSections.f(v, "log10_delta_in"),
                    TableSections.f(a, "entropy_first") + " → " + TableSections.f(a, "entropy_last"),
                    TableSections.f(a, "lowest_head"),
                    TableSections.f(a, "max_logit"),
                    TableSections.f(a, "token_cos"),
                    TableSections.f(v, "gap_closed"));
        }
        page.md.append("\nEntropy: mean over blocks and heads of `attention.entropy_mean`; lowest head: the smallest "
                + "of those at the last step; max logit: the largest attention logit at the last step (its growth "
                + "precedes attention collapse); token cos: the last block's mean cosine between token "
                + "representations at the last step (1 is rank collapse). "
                + (sorted.size() < transformers.size() ? "The first " + sorted.size() + " runs by configuration. " : "")
                + "\n\n");
    }

    /** log10 δ and the stream RMS per block at each chosen step, one line per configuration. */
    static void lines(
            SparkSession spark,
            ReportPage page,
            List<String> steps,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours)
            throws IOException {
        page.md.append("### δ and the residual stream per block\n\nAt each block's output, at the chosen steps: ");
        Map<String, String> configOfRun = page.linePerConfiguration(configs, shown, "delta slopes");
        page.md.append(" Under pre placement the blocks add to the stream, so its RMS grows through them and δ "
                + "tends to fall toward the output (Xiong et al. 2020); under post placement a norm sits on the stream "
                + "after every block, which holds its RMS at 1 at initialization.\n\n");
        Map<String, Streams> flow = streams(spark, steps, configOfRun);
        for (String s : steps) {
            String when = FlowPlots.when(s), tag = FlowPlots.tag(s);
            String d = "tf_delta_" + tag + ".png", r = "tf_rms_" + tag + ".png";
            page.save(
                    Charts.lines(
                            "log10 δ at each block's output (" + when + ")",
                            "block (0 = input side)",
                            "log10 ‖∂L/∂y_l‖",
                            FlowPlots.lines(shown, flow.get(s).delta(), true),
                            true),
                    colours,
                    d);
            page.image(d, "delta per block, log10, " + when);
            page.save(
                    Charts.lines(
                            "Residual stream RMS at each block's output (" + when + ")",
                            "block (0 = input side)",
                            "RMS of y_l",
                            FlowPlots.lines(shown, flow.get(s).rms(), false),
                            true),
                    colours,
                    r);
            page.image(r, "stream RMS per block, " + when);
        }
    }

    /** For each chosen step: δ and RMS per configuration and block, from the layers rows of kind block. */
    static Map<String, Streams> streams(SparkSession spark, List<String> steps, Map<String, String> configOfRun) {
        List<Row> rs = spark.sql("SELECT l.run_id, l.step, l.layer, l.act_grad_l2, "
                        + "sqrt(l.act_mean * l.act_mean + l.act_std * l.act_std), l.step = m.last FROM layers l "
                        + FlowPlots.LAST_STEP + " ON m.run_id = l.run_id WHERE l.kind = 'block' AND l.run_id IN ("
                        + Queries.inList(configOfRun.keySet()) + ") AND (" + FlowPlots.stepFilter(steps, "l.step")
                        + ")")
                .collectAsList();
        Map<String, Streams> out = new LinkedHashMap<>();
        for (String s : steps) {
            Streams g = new Streams(new LinkedHashMap<>(), new LinkedHashMap<>());
            for (Row r : rs) {
                if (!FlowPlots.atStep(s, r.getInt(1), r.getBoolean(5))) continue;
                String c = configOfRun.get(r.getString(0));
                FlowPlots.add(g.delta(), c, r.getInt(2), r.isNullAt(3) ? Double.NaN : r.getDouble(3));
                FlowPlots.add(g.rms(), c, r.getInt(2), r.isNullAt(4) ? Double.NaN : r.getDouble(4));
            }
            out.put(s, g);
        }
        return out;
    }

    /** The lowest head's entropy over training (all shown configurations), then block × step heat maps per run. */
    static void entropy(
            SparkSession spark,
            ReportPage page,
            List<Map<String, Object>> transformers,
            Map<String, String> labelOf,
            Map<String, List<Map<String, Object>>> configs,
            List<String> shown,
            Map<String, Color> colours,
            int maxHeatmaps,
            Map<String, Map<String, Object>> attn)
            throws IOException {
        page.md.append("### Attention entropy over training\n\nThe lowest head over the training steps: ");
        Map<String, String> configOfRun = page.linePerConfiguration(configs, shown, "delta slopes");
        page.md.append(" It is the smallest entropy over every block and head at each step: one "
                + "collapsing head shows here however many stay healthy (a mean over heads hides it), and all runs "
                + "share one axis.\n\n");
        page.save(
                Charts.lines(
                        "Lowest head's attention entropy (min over blocks and heads)",
                        "step",
                        "entropy (nats)",
                        FlowPlots.lines(shown, lowestHead(spark, configOfRun), false),
                        false),
                colours,
                "tf_entropy_lowest.png");
        page.image("tf_entropy_lowest.png", "lowest head's attention entropy over training steps");
        List<Map<String, Object>> ranked = transformers.stream()
                .filter(v -> attn.containsKey((String) v.get("run_id")))
                .sorted(Comparator.comparingDouble(
                        v -> Findings.num(attn.get((String) v.get("run_id")), "entropy_last")))
                .toList();
        List<Map<String, Object>> pick = Representatives.spread(ranked, maxHeatmaps);
        if (pick.size() < transformers.size())
            page.md
                    .append(pick.size())
                    .append(" of ")
                    .append(transformers.size())
                    .append(" transformer runs, from the lowest entropy at the last step to the highest. ");
        // one colour scale for every map, from 0 (one key) to ln T (uniform), so runs compare by colour
        double lnT = Math.log(transformers.stream()
                .mapToDouble(v -> Findings.num(v, "seq_len"))
                .max()
                .orElse(1));
        page.md
                .append("The mean over heads of `entropy_mean` per block and step, on one colour scale for every run: "
                        + "0 (attention to one key) to ln T = ")
                .append(Findings.fmt(lnT))
                .append(" (uniform). A block whose colour falls over the steps is attention concentrating on fewer "
                        + "keys.\n\n");
        if (pick.isEmpty()) return;
        Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        pick.forEach(v -> byId.put((String) v.get("run_id"), v));
        HeatMaps.render(
                page,
                byId,
                labelOf,
                heatRows(spark, byId.keySet()),
                "heat_entropy_",
                "block (0 = input side)",
                "attention entropy (nats)",
                new double[] {0, lnT});
    }

    /** Rows (run_id, block, column, first step of the column, mean entropy_mean over heads and the column's steps). */
    static List<Row> heatRows(SparkSession spark, java.util.Collection<String> ids) {
        return spark.sql("SELECT a.run_id, a.layer, " + HeatMaps.column("a.step") + " AS col, min(a.step), "
                        + "avg(a.entropy_mean) FROM attention a " + HeatMaps.STEPS_PER_RUN + " ON m.run_id = a.run_id "
                        + "WHERE a.run_id IN (" + Queries.inList(ids) + ") AND NOT isnan(a.entropy_mean) "
                        + "GROUP BY 1, 2, 3")
                .collectAsList();
    }

    /** Configuration → heat-map column's first step → the lowest head's entropy (FlowPlots.add's accumulation). */
    static Map<String, TreeMap<Integer, double[]>> lowestHead(SparkSession spark, Map<String, String> configOfRun) {
        List<Row> rs = spark.sql("SELECT run_id, col, min(step), avg(e) FROM (SELECT a.run_id, a.step, "
                        + HeatMaps.column("a.step") + " AS col, min(a.entropy_mean) AS e FROM attention a "
                        + HeatMaps.STEPS_PER_RUN + " ON m.run_id = a.run_id WHERE a.run_id IN ("
                        + Queries.inList(configOfRun.keySet()) + ") AND NOT isnan(a.entropy_mean) "
                        + "GROUP BY a.run_id, a.step, m.n) GROUP BY 1, 2")
                .collectAsList();
        Map<String, TreeMap<Integer, double[]>> out = new LinkedHashMap<>();
        for (Row r : rs) FlowPlots.add(out, configOfRun.get(r.getString(0)), r.getInt(2), r.getDouble(3));
        return out;
    }
}
