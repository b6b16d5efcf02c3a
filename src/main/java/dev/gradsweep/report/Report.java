package dev.gradsweep.report;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.analysis.SqlViews;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * {@code gradsweep report}: PNG plots and a README.md that embeds them, section by section (TableSections,
 * FlowPlots, DistributionPlots, HeatMaps for feed-forward runs, TimePlots for recurrent ones, TransformerPlots for
 * transformers, LossCurves; which runs they draw: Representatives). Everything sized by
 * the sweep (per-layer and per-step rows) is aggregated or filtered in Spark; the driver collects one row per run (verdicts), the axis
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
    public record Options(
            String in,
            Path to,
            List<String> steps,
            int maxLines,
            int maxHeatmaps,
            Map<String, String> conf,
            String command) {}

    public record Summary(Path readme, List<Path> images, Map<String, Long> verdicts, List<String> findings) {}

    private final SparkSession spark;
    private final Options o;
    private final ReportPage page;

    private Report(SparkSession spark, Options o) {
        this.spark = spark;
        this.o = o;
        this.page = new ReportPage(o.to());
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
            List<Map<String, Object>> verdicts = Queries.rows(spark, "SELECT * FROM verdicts ORDER BY run_id");
            List<Map<String, Object>> effects = Queries.rows(spark, "SELECT * FROM axis_effects ORDER BY axis, value");
            List<String> axes = Representatives.varyingAxes(verdicts, effects);
            Map<String, String> labelOf = new LinkedHashMap<>();
            for (Map<String, Object> v : verdicts)
                labelOf.put((String) v.get("run_id"), Representatives.label(v, axes));
            List<String> findings = Findings.sentences(verdicts, effects, v -> labelOf.get((String) v.get("run_id")));

            TableSections.header(page, verdicts, axes, o.command());
            page.md.append("## Findings\n\n");
            findings.forEach(f -> page.md.append("- ").append(f).append('\n'));
            TableSections.verdicts(page, verdicts, labelOf);
            TableSections.effects(page, effects);
            // feed-forward runs are drawn over layers, recurrent ones (cell != none) through time, transformers
            // through their blocks and attention
            List<Map<String, Object>>
                    tf = verdicts.stream().filter(Report::transformer).toList(),
                    ff =
                            verdicts.stream()
                                    .filter(v -> "none".equals(v.get("cell")) && !transformer(v))
                                    .toList(),
                    rec =
                            verdicts.stream()
                                    .filter(v -> !"none".equals(v.get("cell")))
                                    .toList();
            Map<String, List<Map<String, Object>>> configs = Representatives.configs(ff, labelOf),
                    recConfigs = Representatives.configs(rec, labelOf);
            Map<String, List<Map<String, Object>>> tfConfigs = Representatives.configs(tf, labelOf);
            List<String> tfShown = Representatives.representativeConfigs(tfConfigs, o.maxLines());
            List<String> shown = Representatives.representativeConfigs(configs, o.maxLines()),
                    recShown = Representatives.representativeConfigs(recConfigs, o.maxLines(), "log10_slope_back");
            Map<String, Color> colours = new LinkedHashMap<>();
            for (String c : shown) colours.put(c, Charts.PALETTE[colours.size() % Charts.PALETTE.length]);
            for (String c : recShown) colours.put(c, Charts.PALETTE[colours.size() % Charts.PALETTE.length]);
            for (String c : tfShown) colours.put(c, Charts.PALETTE[colours.size() % Charts.PALETTE.length]);
            if (!ff.isEmpty()) {
                FlowPlots.draw(spark, page, o.steps(), configs, shown, colours);
                DistributionPlots.draw(spark, page);
                HeatMaps.draw(spark, page, ff, labelOf, o.maxHeatmaps());
                ConvPlots.draw(spark, page, configs, shown, colours);
            }
            if (!rec.isEmpty())
                TimePlots.draw(spark, page, o.steps(), rec, labelOf, recConfigs, recShown, colours, o.maxHeatmaps());
            if (!tf.isEmpty())
                TransformerPlots.draw(
                        spark, page, o.steps(), tf, labelOf, tfConfigs, tfShown, colours, o.maxHeatmaps());
            LossCurves.draw(spark, page, axes);
            LossCurves.heldOut(spark, page, labelOf, o.maxLines());
            TableSections.thresholds(page, params);
            Path readme = o.to().resolve("README.md");
            Files.writeString(readme, page.md.toString());
            return new Summary(readme, page.images, Findings.ordered(Findings.counts(verdicts)), findings);
        } finally {
            spark.catalog().uncacheTable("verdicts");
        }
    }

    private static boolean transformer(Map<String, Object> v) {
        return "transformer".equals(v.get("arch"));
    }
}
