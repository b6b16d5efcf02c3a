package dev.gradsweep.sweep;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;

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
}
