package dev.gradsweep.cli;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.grid.GridKeys;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the runtime options with their defaults, or the files the launchers read that are generated from them. */
@Command(
        name = "options",
        mixinStandardHelpOptions = true,
        description = {
            "Every runtime option (system property, launcher variable, Spark setting) with its default and unit.",
            "--format sh prints conf/defaults.sh (sourced by bin/gradsweep and jobs/submit-standalone.sh),",
            "--format spark-defaults prints conf/spark-defaults.conf.template; both files are generated this way.",
            "--format grid prints the grid file's keys as the Markdown table in docs/grid.md."
        })
final class OptionsCommand implements Callable<Integer> {
    @Option(
            names = "--format",
            defaultValue = "table",
            description = "table, sh, spark-defaults or grid (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        System.out.print(
                switch (format) {
                    case "table" -> String.format("  %-31s %-6s %-14s %s%n", "key", "default", "unit", "meaning")
                            + RuntimeOptions.describe();
                    case "sh" -> RuntimeOptions.shellDefaults();
                    case "spark-defaults" -> RuntimeOptions.sparkDefaults();
                    case "grid" -> GridKeys.markdownTable();
                    default -> throw new IllegalArgumentException(
                            "--format " + format + ": allowed: table, sh, spark-defaults, grid");
                });
        return 0;
    }
}
