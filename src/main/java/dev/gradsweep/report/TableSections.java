package dev.gradsweep.report;

import dev.gradsweep.analysis.AnalysisParams;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The report's text and tables: header, verdicts, axis effects and the thresholds used. */
final class TableSections {
    /** Runs listed in the verdict table (worst verdicts first); sql lists the rest. */
    static final int TABLE_ROWS = 40;

    private TableSections() {}

    static void header(ReportPage page, List<Map<String, Object>> verdicts, List<String> axes, String command) {
        Map<String, Object> any = verdicts.get(0);
        page.md.append("# gradsweep report: ").append(any.get("sweep")).append("\n\n");
        page.md.append("Regenerate with:\n\n```bash\n").append(command).append("\n```\n\n");
        page.md
                .append(verdicts.size())
                .append(" runs of the `")
                .append(any.get("task"))
                .append("` task. ");
        if (axes.isEmpty()) page.md.append("No axis varies.");
        else {
            page.md.append("Axes that vary: ");
            page.md.append(axes.stream()
                    .map(a -> "**" + a + "** "
                            + verdicts.stream()
                                    .map(v -> String.valueOf(Representatives.value(v, a)))
                                    .distinct()
                                    .sorted(Representatives.valueOrder())
                                    .collect(Collectors.joining(", ")))
                    .collect(Collectors.joining("; ")));
            page.md.append(".");
        }
        long seeds = verdicts.stream().map(v -> v.get("seed")).distinct().count();
        page.md
                .append(" ")
                .append(seeds)
                .append(seeds == 1 ? " seed" : " seeds (replicates of each configuration)")
                .append(".\n\n");
        page.md.append(
                "Layer 0 is nearest the input; the output layer is the last. δ_l is the back-propagated signal: ∂L/∂z_l "
                        + "at layer l's pre-activation (its bias gradient, or its norm's beta gradient) in plain nets, ∂L/∂y_l at "
                        + "block l's output in block nets; ‖∇W_l‖ mixes it with the forward activations, so the verdicts read δ, "
                        + "activation scale and update ratios. Slopes are of log10 over the layer index, in decades per layer "
                        + "(> 0: shrinks toward the input).\n\n");
    }

    static void verdicts(ReportPage page, List<Map<String, Object>> verdicts, Map<String, String> labelOf) {
        page.md.append("\n## Verdicts\n\n| verdict | runs |\n|---|---|\n");
        Findings.ordered(Findings.counts(verdicts)).forEach((k, n) -> page.row(k, n));
        List<Map<String, Object>> sorted = new ArrayList<>(verdicts);
        sorted.sort(
                Comparator.comparingInt((Map<String, Object> v) -> Findings.VERDICTS.indexOf((String) v.get("verdict")))
                        .thenComparing(v -> labelOf.get((String) v.get("run_id"))));
        page.md.append("\n");
        if (sorted.size() > TABLE_ROWS)
            page.md
                    .append("The ")
                    .append(TABLE_ROWS)
                    .append(" runs below are the first of ")
                    .append(sorted.size())
                    .append(
                            " (worst verdicts first); `gradsweep sql --in DIR -e \"SELECT * FROM verdicts\"` lists all.\n\n");
        page.md.append(
                "| configuration | seed | verdict | log10 δ₀/δ_ref | log10 act scale | slope δ | slope ‖∇W‖ | saturated | dead | stall layer | stall step | loss first → last | gap closed | reason | try |\n");
        page.md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> v : sorted.subList(0, Math.min(TABLE_ROWS, sorted.size()))) {
            page.row(
                    labelOf.get((String) v.get("run_id")),
                    v.get("seed"),
                    "**" + v.get("verdict") + "**",
                    f(v, "log10_delta_in"),
                    f(v, "log10_act_out"),
                    f(v, "slope_delta"),
                    f(v, "slope_w"),
                    f(v, "saturated_frac"),
                    f(v, "dead_frac"),
                    v.get("stall_layer") == null ? "–" : v.get("stall_layer"),
                    v.get("stall_step") == null ? "–" : v.get("stall_step"),
                    f(v, "loss_first") + " → " + f(v, "loss_last"),
                    f(v, "gap_closed"),
                    cell(v.get("reason")),
                    cell(v.get("try")));
        }
        page.md.append(
                "\nlog10 δ₀/δ_ref: the back-propagated signal at layer 0 relative to the output layer's (block nets: the last "
                        + "block's; median over steps); gap closed: 1 − loss_last / the best constant predictor's loss; "
                        + "log10 act scale: std of the last hidden layer's activations relative to layer 0's; stall layer: the layer "
                        + "nearest the output below the vanishing threshold; stall step: from this step on the loss stopped "
                        + "improving (– = still improving, or no plateau).\n");
    }

    /** The first {@link #TABLE_ROWS} runs by configuration label, then seed: the order of the sections' own tables. */
    static List<Map<String, Object>> firstByConfiguration(List<Map<String, Object>> runs, Map<String, String> labelOf) {
        return runs.stream()
                .sorted(Comparator.comparing((Map<String, Object> v) -> labelOf.get((String) v.get("run_id")))
                        .thenComparing(v -> String.valueOf(v.get("seed"))))
                .limit(TABLE_ROWS)
                .toList();
    }

    static String f(Map<String, Object> v, String col) {
        return Findings.fmt(Findings.num(v, col));
    }

    /** A text cell of a Markdown table: "–" when missing, pipes escaped. */
    static String cell(Object o) {
        return o == null ? "–" : o.toString().replace("|", "\\|");
    }

    static void effects(ReportPage page, List<Map<String, Object>> effects) {
        page.md.append("\n## What fixes it: `axis_effects`\n\n");
        if (effects.isEmpty()) {
            page.md.append("No axis varies in this sweep.\n");
            return;
        }
        List<String> shares = Findings.reversed(Findings.VERDICTS).stream()
                .filter(v -> !Findings.ATTENTION_VERDICTS.contains(v)
                        || effects.stream().anyMatch(e -> Findings.num(e, v) > 0))
                .toList();
        page.md
                .append("| axis | value | runs | ")
                .append(String.join(" | ", shares))
                .append(" | median slope δ | median slope ‖∇W‖ | fixes | held fixed |\n");
        page.md.append("|---|---|---|").append("---|".repeat(shares.size())).append("---|---|---|---|\n");
        for (Map<String, Object> e : effects) {
            List<Object> cells = new ArrayList<>(List.of(e.get("axis"), e.get("value"), e.get("runs")));
            for (String v : shares) cells.add(Findings.pct(Findings.num(e, v)));
            cells.add(f(e, "median_slope_delta"));
            cells.add(f(e, "median_slope_w"));
            cells.add(e.get("fixes") + "/" + e.get("broken_contexts"));
            cells.add(Boolean.TRUE.equals(e.get("held_fixed")) ? "yes" : "no");
            page.row(cells.toArray());
        }
        page.md.append(
                "\nShares of runs per verdict; fixes = configurations (other axes fixed) where this value is healthy "
                        + "and another value of the axis is not, of those where some value is not.\n");
    }

    static void thresholds(ReportPage page, Map<String, String> params) {
        page.md.append(
                "\n## Thresholds used\n\nDefaults live in `jobs/sql/00_params.sql`; override with `--conf KEY=VALUE`.\n\n"
                        + "| parameter | value | meaning |\n|---|---|---|\n");
        params.forEach(
                (k, v) -> page.row("`" + k + "`", v, AnalysisParams.ALL.get(k).doc()));
    }
}
