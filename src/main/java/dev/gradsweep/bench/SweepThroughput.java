package dev.gradsweep.bench;

import dev.gradsweep.sweep.SweepDriver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The sweep-throughput part of {@code bench}: runs/min of a small fixed grid swept on local[1] and local[2]. */
public final class SweepThroughput {
    /** Training steps of every run of the grid. */
    static final int STEPS = 50;

    static final String GRID = String.join(
            "\n",
            "name: bench-sweep",
            "task: {kind: teacher, inputs: 8, samples: 256}",
            "train: {steps: " + STEPS + ", batch: 32, optimizer: sgd, lr: 0.05, dtype: float32}",
            "seeds: [1]",
            "axes:",
            "  depth: [5, 10]",
            "  width: [16]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier, he]",
            "");

    private SweepThroughput() {}

    /** Sweeps the grid under {@code tmp} once per master and prints a throughput line each to {@code out}; the sweep logs to {@code err}. */
    public static void run(Path tmp, PrintStream out, PrintStream err) throws IOException {
        Path grid = tmp.resolve("bench-grid.yaml");
        Files.writeString(grid, GRID);
        for (int n : new int[] {1, 2}) {
            long t0 = System.nanoTime();
            SweepDriver.Summary s = SweepDriver.run(
                    new SweepDriver.Options(
                            grid.toString(), tmp.resolve("sweep" + n).toString(), false, true, "local[" + n + "]", 0),
                    err);
            double min = (System.nanoTime() - t0) / 60e9;
            out.println(String.format(
                    Locale.ROOT,
                    "sweep throughput local[%d]: %d runs (%d steps each) in %.1f s = %.1f runs/min (Spark start-up included)",
                    n,
                    s.results().size(),
                    STEPS,
                    min * 60,
                    s.results().size() / min));
        }
    }
}
