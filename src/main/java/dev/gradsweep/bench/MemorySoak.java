package dev.gradsweep.bench;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.train.MemoryGuard;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code bench --soak}: memory over a long run, statistics written to Parquet as in a sweep: the DL4J loop and a
 * stack of {@link BenchVariants#STACK} runs, each for {@code steps} steps; RSS and JavaCPP's off-heap bytes at start,
 * middle and end.
 */
public final class MemorySoak {
    /** The reference net the soak trains. */
    static final String NET = "mlp50x10_sigmoid_b32";

    private MemorySoak() {}

    /** @param scratch where the Parquet files go */
    public static void run(int steps, Path scratch, PrintStream out, PrintStream err) throws IOException {
        RunConfig rc = BenchNets.referenceNets().get(NET);
        out.println(
                "| engine | steps | RSS MB start / mid / end | off-heap (JavaCPP physicalBytes) MB start / mid / end | collections forced by "
                        + MemoryGuard.PROPERTY + " |");
        out.println("|---|---:|---|---|---:|");
        try (BenchVariants v = new BenchVariants(rc, new OutputDir(scratch.toString()))) {
            out.println(row("dl4j", steps, v.of(BenchVariants.STATS), err));
        }
        try (BenchVariants v = new BenchVariants(rc, new OutputDir(scratch.toString()))) {
            out.println(row(
                    "stacked:" + BenchVariants.STACK,
                    steps,
                    v.stackOf(100, dev.gradsweep.stats.TrainingMemory.forBackend())::step,
                    err));
        }
    }

    private static String row(String engine, int steps, Runnable step, PrintStream err) {
        long[][] m = new long[3][];
        long gc0 = MemoryGuard.collections();
        for (int i = 0; i < steps; i++) {
            if (i == 200) m[0] = memory(); // after warm-up: workspaces and JIT settled
            if (i == steps / 2) m[1] = memory();
            step.run();
            if (i > 0 && i % 5000 == 0) err.println("soak " + engine + ": " + i + " steps");
        }
        m[2] = memory();
        if (m[0] == null) m[0] = m[2];
        if (m[1] == null) m[1] = m[2];
        return String.format(
                Locale.ROOT,
                "| %s | %d | %d / %d / %d | %d / %d / %d | %d |",
                engine,
                steps,
                m[0][0],
                m[1][0],
                m[2][0],
                m[0][1],
                m[1][1],
                m[2][1],
                MemoryGuard.collections() - gc0);
    }

    /** {RSS MB, JavaCPP physical off-heap MB}. */
    static long[] memory() {
        long rss = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        } catch (IOException | NumberFormatException e) {
            rss = -1; // not Linux: RSS unknown
        }
        return new long[] {rss, org.bytedeco.javacpp.Pointer.physicalBytes() / (1 << 20)};
    }
}
