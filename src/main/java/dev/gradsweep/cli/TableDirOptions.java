package dev.gradsweep.cli;

import picocli.CommandLine.Option;

/** The options of the commands that rewrite a sweep's tables in place ({@code compact}, {@code migrate}). */
final class TableDirOptions {
    @Option(names = "--in", required = true, paramLabel = "DIR", description = "A sweep's output directory.")
    String in;

    @Option(
            names = "--master",
            paramLabel = "URL",
            description = "Spark master (default: the one spark-submit set, else local[*]).")
    String master;
}
