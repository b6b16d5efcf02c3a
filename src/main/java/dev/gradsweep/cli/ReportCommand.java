package dev.gradsweep.cli;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.report.Report;
import dev.gradsweep.sweep.Sessions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = {
            "Writes PNG plots and a README.md with the findings of a sweep: gradient flow across layers (linear and",
            "log10), gradient histograms per activation, layer x step heat maps, loss curves per axis, the verdicts and",
            "axis_effects tables. Large sweeps are aggregated in Spark and drawn through representative runs.",
            "Analysis parameters (--conf KEY=VALUE, default, meaning):"
        })
final class ReportCommand implements Callable<Integer>, Failures.Reads {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "DIR", description = "A sweep's output directory.")
    String in;

    @Option(
            names = "--to",
            required = true,
            paramLabel = "DIR",
            description = "Report directory, e.g. notebooks-output/quick.")
    Path to;

    @Option(
            names = "--steps",
            defaultValue = "0,last",
            split = ",",
            paramLabel = "S",
            description = "Steps of the gradient-flow plots: numbers or 'last' (default: ${DEFAULT-VALUE}).")
    List<String> steps = new ArrayList<>();

    @Option(
            names = "--max-lines",
            defaultValue = "8",
            paramLabel = "N",
            description = "Configurations per line plot (default: ${DEFAULT-VALUE}).")
    int maxLines;

    @Option(
            names = "--max-heatmaps",
            defaultValue = "6",
            paramLabel = "N",
            description = "Runs drawn as heat maps (default: ${DEFAULT-VALUE}).")
    int maxHeatmaps;

    @Option(
            names = "--grid",
            paramLabel = "FILE",
            description = "The grid file of the sweep, named in the README's regenerate command.")
    String grid;

    @Mixin
    ViewOptions viewOptions = new ViewOptions();

    @Override
    public Integer call() throws Exception {
        for (String s : steps)
            if (!s.equals("last") && !s.matches("\\d+"))
                throw new IllegalArgumentException("--steps: '" + s + "' is neither a step number nor 'last'");
        if (maxLines < 1 || maxHeatmaps < 0)
            throw new IllegalArgumentException("--max-lines must be >= 1 and --max-heatmaps >= 0");
        AnalysisParams.resolve(viewOptions.conf); // bad keys fail before Spark starts
        String cmd = regenerateCommand(spec.commandLine().getParseResult(), in, to, grid);
        SparkSession spark = Sessions.forQueries(viewOptions.master, "gradsweep report");
        try {
            Report.Summary s = Report.write(
                    spark, new Report.Options(in, to, steps, maxLines, maxHeatmaps, viewOptions.conf, cmd));
            System.err.println("gradsweep report: " + s.readme() + " and "
                    + s.images().size() + " plots; verdicts " + s.verdicts());
            s.findings().forEach(f -> System.out.println("- " + f));
        } finally {
            spark.stop();
        }
        return 0;
    }

    /**
     * The command that regenerates this report (written into its README): the sweep when the grid is known, then
     * this report with the options the user gave, as given, so a default is never restated.
     */
    static String regenerateCommand(CommandLine.ParseResult parsed, String in, Path to, String grid) {
        StringBuilder cmd = new StringBuilder();
        if (grid != null)
            cmd.append("bin/gradsweep sweep --grid ")
                    .append(grid)
                    .append(" --out ")
                    .append(in)
                    .append(" --resume && \\\n  ");
        cmd.append("bin/gradsweep report --in ").append(in).append(" --to ").append(to);
        if (grid != null) cmd.append(" --grid ").append(grid);
        for (CommandLine.Model.OptionSpec o : parsed.matchedOptions())
            if (!List.of("--in", "--to", "--grid", "--master").contains(o.longestName()))
                for (String v : o.originalStringValues())
                    cmd.append(' ').append(o.longestName()).append(' ').append(v);
        return cmd.toString();
    }

    @Override
    public String input() {
        return in;
    }
}
