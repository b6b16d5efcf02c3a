package dev.gradsweep.sweep;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;

/** The fixture sweep of the view and report tests: a real local sweep, its progress output dropped. */
public final class FixtureSweeps {
    private FixtureSweeps() {}

    /**
     * Sweeps {@code grid} into {@code out} on local[2], stacked, without the compaction: the views and reports read
     * the same rows from the uncompacted files (SweepLocalTest tests the compaction).
     */
    public static void uncompacted(String grid, String out) throws IOException {
        SweepDriver.run(
                new SweepDriver.Options(grid, out, false, false, "local[2]", 0, true, false),
                new PrintStream(new ByteArrayOutputStream()));
    }

    /**
     * A new output's tables for runs committed by hand (RunExecutor.run, ResultTables.commit), its layer_stalls table
     * complete as a sweep leaves it, so the executors write its rows.
     */
    public static ResultTables newOutput(String dir) {
        ResultTables out = ResultTables.open(new OutputDir(dir));
        out.markStallsComplete(AnalysisParams.value(AnalysisParams.resolve(Map.of()), "frozen_update_ratio"));
        return out;
    }
}
