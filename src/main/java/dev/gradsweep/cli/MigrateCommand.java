package dev.gradsweep.cli;

import dev.gradsweep.sweep.Maintenance;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        description = {
            "Converts an output written by an earlier gradsweep (one Parquet file per run and table,",
            "<out>/<table>/<run_id>.parquet) into Iceberg tables in place: the committed runs' rows are kept,",
            "the per-run files deleted once the tables are committed. Safe to rerun if interrupted."
        })
final class MigrateCommand implements Callable<Integer>, Failures.Writes {
    @Mixin
    TableDirOptions opts;

    @Override
    public Integer call() throws Exception {
        long runs = Maintenance.migrate(opts.in, opts.master, System.err);
        System.out.println("migrated " + runs + " runs in " + opts.in
                + " to Iceberg tables (query: bin/gradsweep sql --in " + opts.in + ")");
        return 0;
    }

    @Override
    public String output() {
        return opts.in;
    }

    @Override
    public String continueWith() {
        return "bin/gradsweep migrate --in " + opts.in;
    }
}
