package dev.gradsweep.cli;

import dev.gradsweep.config.RuntimeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Prints the runtime options with their defaults, or the files the launchers read that are generated from them. */
@Command(name = "options", mixinStandardHelpOptions = true,
        description = {"Every runtime option (system property, launcher variable, Spark setting) with its default and unit.",
                "--format sh prints conf/defaults.sh (sourced by bin/gradsweep and jobs/submit-standalone.sh),",
                "--format spark-defaults prints conf/spark-defaults.conf.template; both files are generated this way."})
final class OptionsCommand implements Callable<Integer> {
    @Option(names = "--format", defaultValue = "table", description = "table, sh or spark-defaults (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        System.out.print(switch (format) {
            case "table" -> String.format("  %-31s %-6s %-14s %s%n", "key", "default", "unit", "meaning") + RuntimeOptions.describe();
            case "sh" -> RuntimeOptions.shellDefaults();
            case "spark-defaults" -> RuntimeOptions.sparkDefaults();
            default -> throw new IllegalArgumentException("--format " + format + ": allowed: table, sh, spark-defaults");
        });
        return 0;
    }
}
