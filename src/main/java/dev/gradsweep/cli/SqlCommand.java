package dev.gradsweep.cli;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.analysis.LiveViews;
import dev.gradsweep.analysis.ResultPrinter;
import dev.gradsweep.analysis.SqlScript;
import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.sweep.Sessions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "sql",
        mixinStandardHelpOptions = true,
        description = {
            "Spark SQL over a sweep's tables. Views: runs, steps, params, layers, timesteps, attention (committed",
            "runs only), and the analysis views layer_profile, layer_stalls, loss_plateaus, stalls, timestep_profile,",
            "memory, attention_evidence, verdict_evidence, verdict_axes, axis_effects and verdicts (verdict, reason,",
            "try and the evidence; SQL in jobs/sql).",
            "Without -e or -f: a shell that runs each statement ending in ';' (quit with Ctrl-D).",
            "Analysis parameters (--conf KEY=VALUE, default, meaning):"
        },
        footer = {
            "%nExample: gradsweep sql --in results/quick --conf vanish_ratio=1e-4 -e \"SELECT verdict, count(*) FROM verdicts GROUP BY verdict\""
        })
final class SqlCommand implements Callable<Integer>, Failures.Reads {
    @Option(names = "--in", required = true, paramLabel = "DIR", description = "A sweep's output directory.")
    String in;

    @Option(names = "-e", paramLabel = "QUERY", description = "Run one query.")
    String query;

    @Option(names = "-f", paramLabel = "FILE", description = "Run the ';'-separated statements of a file.")
    Path file;

    @Option(
            names = "--format",
            defaultValue = "table",
            paramLabel = "FMT",
            description = "table, csv or json (one object per line) (default: ${DEFAULT-VALUE}).")
    String format;

    @Mixin
    ViewOptions viewOptions = new ViewOptions();

    @Override
    public Integer call() throws Exception {
        ResultPrinter.Format fmt;
        try {
            fmt = ResultPrinter.Format.valueOf(format.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format: unknown '" + format + "'; allowed: table, csv, json");
        }
        if (query != null && file != null) throw new IllegalArgumentException("give -e or -f, not both");
        if (file != null && !Files.isRegularFile(file)) throw new IllegalArgumentException("-f: no file " + file);
        AnalysisParams.resolve(viewOptions.conf); // bad keys fail before Spark starts
        SparkSession spark = Sessions.forQueries(viewOptions.master, "gradsweep sql");
        try {
            if (query == null && file == null) shell(new LiveViews(spark, in, viewOptions.conf), fmt);
            else {
                if (query != null) {
                    ResultPrinter.print(SqlViews.queryOnce(spark, in, viewOptions.conf, query), fmt, System.out);
                } else {
                    SqlViews.register(spark, in, viewOptions.conf);
                    for (String stmt : SqlScript.statements(Files.readString(file)))
                        ResultPrinter.print(spark.sql(stmt), fmt, System.out);
                }
            }
        } finally {
            spark.stop();
        }
        return 0;
    }

    /** The views follow the output's commits: a shell can stay open while a sweep writes to the output. */
    private static void shell(LiveViews views, ResultPrinter.Format fmt) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder sb = new StringBuilder();
        System.err.print("gradsweep> ");
        for (String line; (line = r.readLine()) != null; ) {
            sb.append(line).append('\n');
            int end;
            while ((end = sb.indexOf(";")) >= 0) {
                String stmt = sb.substring(0, end);
                sb.delete(0, end + 1);
                if (stmt.isBlank()) continue;
                try {
                    ResultPrinter.print(views.sql(stmt), fmt, System.out);
                } catch (Exception e) {
                    System.err.println("error: " + e.getMessage());
                }
            }
            System.err.print(sb.toString().isBlank() ? "gradsweep> " : "       -> ");
        }
    }

    @Override
    public String input() {
        return in;
    }
}
