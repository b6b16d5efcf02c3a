package dev.gradsweep.cli;

import dev.gradsweep.sweep.Compaction;
import dev.gradsweep.sweep.Maintenance;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "compact",
        mixinStandardHelpOptions = true,
        description = {
            "Compacts a sweep's Iceberg tables: small data files rewritten into large ones sorted by run_id and step,",
            "manifests merged, old snapshots expired, unreferenced files (failed attempts, a killed sweep) deleted.",
            "A sweep does this at its end unless --no-compact; run it after such sweeps, or after a killed one."
        })
final class CompactCommand implements Callable<Integer>, Failures.Writes {
    @Mixin
    TableDirOptions opts;

    @Override
    public Integer call() throws Exception {
        Compaction.Report r = Maintenance.compact(opts.in, opts.master, System.err);
        System.out.println("compacted " + opts.in + ": " + r);
        return 0;
    }

    @Override
    public String output() {
        return opts.in;
    }

    @Override
    public String continueWith() {
        return "bin/gradsweep compact --in " + opts.in;
    }
}
