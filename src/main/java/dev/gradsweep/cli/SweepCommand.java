package dev.gradsweep.cli;

import dev.gradsweep.analysis.ResultPrinter;
import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.sweep.RunResult;
import dev.gradsweep.sweep.SweepDriver;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        description = {
            "Trains every configuration of a grid file, one Spark task per run (or stack of same-shape runs), and "
                    + "commits the runs, steps, params and layers tables (Apache Iceberg) under the output directory as tasks finish, "
                    + "then compacts them.",
            "Progress (runs done/total, failures, ETA) goes to stderr. Failed or diverged runs are rows with their "
                    + "status; the exit code is non-zero only if the sweep itself could not run."
        })
final class SweepCommand implements Callable<Integer>, Failures.Writes {
    @Option(names = "--grid", required = true, paramLabel = "FILE", description = "Grid YAML (see conf/grids/).")
    String grid;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Output directory or Hadoop URI (default: results/<grid name>).")
    String out;

    @Option(names = "--resume", description = "Train only the runs not yet committed in the output directory.")
    boolean resume;

    @Option(
            names = "--overwrite",
            description = "Delete an existing output directory first (otherwise earlier results are never touched).")
    boolean overwrite;

    @Option(
            names = "--master",
            paramLabel = "URL",
            description = "Spark master (default: the one spark-submit set, else local[*]).")
    String master;

    @Option(
            names = "--max-parallel",
            paramLabel = "N",
            defaultValue = "0",
            description =
                    "At most N runs at once (local[N] in local mode, spark.cores.max on a cluster; default ${DEFAULT-VALUE}: all cores).")
    int maxParallel;

    @Option(
            names = "--no-stack",
            description =
                    "Train every run alone through DL4J, never stacked with same-shape runs (slower; for comparison).")
    boolean noStack;

    @Option(
            names = "--no-compact",
            description = "Skip the compaction at the end (the tables keep one file per task and table; "
                    + "run `gradsweep compact --in DIR` later).")
    boolean noCompact;

    @Option(names = "--quiet", description = "Do not print the first SQL answer after the sweep.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (resume && overwrite) throw new IllegalArgumentException("--resume and --overwrite exclude each other");
        if (maxParallel < 0) throw new IllegalArgumentException("--max-parallel must be >= 1");
        SweepDriver.run(
                new SweepDriver.Options(grid, out, resume, overwrite, master, maxParallel, !noStack, !noCompact),
                System.err,
                this::report);
        return 0;
    }

    @Override
    public String output() {
        // SweepDriver's default; the grid loaded before the sweep started
        return out != null ? out : "results/" + dev.gradsweep.grid.GridSpec.load(java.nio.file.Path.of(grid)).name;
    }

    @Override
    public String continueWith() {
        return "bin/gradsweep sweep --grid " + grid + " --out " + output() + " --resume";
    }

    /**
     * The summary and the first answer, in the sweep's own session: its JVM and Spark are warm, and the tables are
     * the ones it has just committed.
     */
    private void report(SweepDriver.Summary s, SparkSession spark) {
        System.out.printf(
                "%d runs in the grid: %d trained now (%d ok, %d diverged, %d failed), %d already committed%n",
                s.total(), s.results().size(), s.count("ok"), s.count("diverged"), s.count("failed"), s.skipped());
        for (RunResult r : s.results())
            if (r.status().equals("failed"))
                System.out.println("  failed " + r.runId() + ": "
                        + r.error().lines().findFirst().orElse(""));
        System.out.println("tables: " + s.out()
                + "/{runs,steps,params,layers,timesteps,attention}/  (query: bin/gradsweep sql --in " + s.out() + ")");
        if (quiet) return;
        long t0 = System.nanoTime();
        SqlViews.registerForFirstAnswer(spark, s.out());
        System.out.println(
                "Did each run learn (gap_closed), how much gradient reaches layer 0 (log10 of delta, layer 0 / reference, median over steps; docs/diagnosis.md) and the verdict:");
        ResultPrinter.print(spark.sql(SqlViews.FIRST_ANSWER), ResultPrinter.Format.TABLE, System.out);
        System.err.printf("[%s] first answer in %.1f s%n", s.name(), (System.nanoTime() - t0) / 1e9);
    }
}
