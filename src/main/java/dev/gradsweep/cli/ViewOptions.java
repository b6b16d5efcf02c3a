package dev.gradsweep.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of the commands that read a sweep through its analysis views ({@code sql}, {@code report}). */
final class ViewOptions {
    @Option(
            names = "--conf",
            paramLabel = "KEY=VALUE",
            description = "Override an analysis parameter (repeatable); see the list above.")
    Map<String, String> conf = new LinkedHashMap<>();

    @Option(
            names = "--master",
            defaultValue = "local[*]",
            paramLabel = "URL",
            description = "Spark master (default: ${DEFAULT-VALUE}).")
    String master;
}
