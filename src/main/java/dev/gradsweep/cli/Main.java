package dev.gradsweep.cli;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.config.BuildInfo;
import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.grid.GridKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code gradsweep}: the command line (README "Commands"). Bad input exits 2 with one clear line; a full disk or a
 * damaged output exits 1 with one paragraph ({@link Failures}); other failures exit 1 with the stack trace.
 */
@Command(
        name = "gradsweep",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Sweeps deep-network configurations on Spark and records per-layer gradient statistics of "
                + "every training step in Iceberg tables, to find where and when training stalls.",
        footer = {
            "",
            "bin/gradsweep --jars a.jar[,b.jar] COMMAND puts your classes on the classpath (a grid's model.class, a",
            "ModelFactory of yours: docs/api.md); on a cluster pass them with spark-submit's own --jars."
        },
        subcommands = {
            SweepCommand.class,
            SqlCommand.class,
            ReportCommand.class,
            TraceCommand.class,
            BenchCommand.class,
            DoctorCommand.class,
            OptionsCommand.class,
            CompactCommand.class,
            MigrateCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** --version: the build's version and commit. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "gradsweep " + BuildInfo.VERSION + " (commit " + BuildInfo.COMMIT + ", DL4J/ND4J "
                        + BuildInfo.DL4J_VERSION + ")"
            };
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main()).setUsageHelpWidth(120);
        // The parameter list comes from jobs/sql/00_params.sql, so help never disagrees with the SQL.
        for (String c : new String[] {"sql", "report"}) {
            CommandLine.Model.UsageMessageSpec u =
                    cl.getSubcommands().get(c).getCommandSpec().usageMessage();
            u.description(java.util.stream.Stream.concat(
                            java.util.Arrays.stream(u.description()),
                            AnalysisParams.describe().lines())
                    .toArray(String[]::new));
        }
        // Grid keys come from their declarations (grid.GridKeys), so sweep --help lists exactly what the parser takes.
        CommandLine.Model.UsageMessageSpec sweep =
                cl.getSubcommands().get("sweep").getCommandSpec().usageMessage();
        sweep.description(java.util.stream.Stream.concat(
                        java.util.stream.Stream.concat(
                                java.util.Arrays.stream(sweep.description()),
                                java.util.stream.Stream.of("", "Grid file keys:")),
                        GridKeys.describe().lines())
                .toArray(String[]::new));
        Failures.quietExplainedLogs();
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable t = ex instanceof CommandLine.ExecutionException && ex.getCause() != null ? ex.getCause() : ex;
            if (t instanceof BadInputException || t instanceof IllegalArgumentException && t.getMessage() != null) {
                cmd.getErr().println("gradsweep " + cmd.getCommandName() + ": " + t.getMessage());
                return 2;
            }
            String explained = Failures.explain(t, cmd.getCommand());
            if (explained != null) { // neither bad input nor a bug: one paragraph, exit 1
                cmd.getErr().println("gradsweep " + cmd.getCommandName() + ": " + explained);
                if (RuntimeOptions.flag(RuntimeOptions.STACK_TRACE)) t.printStackTrace(cmd.getErr());
                else
                    cmd.getErr()
                            .println("(stack trace: -D" + RuntimeOptions.STACK_TRACE.key()
                                    + "=true in GRADSWEEP_JAVA_OPTS)");
                return 1;
            }
            cmd.getErr().println("gradsweep " + cmd.getCommandName() + " failed: " + t);
            t.printStackTrace(cmd.getErr());
            return 1;
        });
        // Errors (Hadoop's local file system reports a full disk as FSError) reach the handler above too
        cl.setExecutionStrategy(parsed -> {
            try {
                return new CommandLine.RunLast().execute(parsed);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Error e) {
                CommandLine.ParseResult last = parsed;
                while (last.hasSubcommand()) last = last.subcommand();
                throw new CommandLine.ExecutionException(last.commandSpec().commandLine(), e.toString(), e);
            }
        });
        return cl.execute(args);
    }
}
