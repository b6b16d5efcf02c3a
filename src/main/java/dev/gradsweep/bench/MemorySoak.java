package dev.gradsweep.bench;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.stack.StackMemory;
import dev.gradsweep.train.stack.StackedMlp;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --soak}: memory over a long run, statistics written to Parquet as in a sweep: for each selected net the
 * DL4J loop and, where the stacked engine builds the net ({@link StackedMlp#supports}), a stack of
 * {@code stack} runs ({@link BenchVariants#STACK} by default), on request also through the portable path, each for
 * {@code steps} steps; RSS and JavaCPP's off-heap bytes at start (after the warm-up), middle and end, the largest RSS
 * seen after the warm-up, and what {@link StackMemory} counts for the stack's buffers. The transformers of
 * {@link TransformerBench#NETS} that {@code nets} selects train as a sweep's run: {@link TransformerBench#sweepStep},
 * every statistic, rows to Parquet; so do the conv nets of {@link ConvBench#NETS} ({@link ConvBench#sweepStep}).
 */
public final class MemorySoak {
    /** The reference net the soak trains when none is named. */
    public static final String DEFAULT_NETS = "mlp50x10";

    /** Engines a soak can train: the first two by default; the last is the stack through the portable path. */
    public static final List<String> ENGINES = List.of("dl4j", "stacked", "stacked_portable");

    /**
     * Steps before the first sample (workspaces and JIT settled; a quarter of a shorter soak), and between RSS samples
     * for the peak.
     */
    static final int WARMUP = 200, SAMPLE_EVERY = 100;

    private MemorySoak() {}

    /**
     * @param nets    name prefix of the reference nets to soak
     * @param engines a subset of {@link #ENGINES}
     * @param stack   runs in the stacked engine's stack
     * @param scratch where the Parquet files go
     */
    public static void run(
            int steps, String nets, List<String> engines, int stack, Path scratch, PrintStream out, PrintStream err)
            throws IOException {
        if (stack < 1) throw new IllegalArgumentException("--soak-stack must be >= 1, got " + stack);
        for (String e : engines)
            if (!ENGINES.contains(e))
                throw new IllegalArgumentException(
                        "--soak-engines: unknown '" + e + "'; allowed: " + String.join(", ", ENGINES));
        Map<String, RunConfig> selected = BenchNets.selected(nets);
        List<String> transformers = TransformerBench.selected(nets), convs = ConvBench.selected(nets);
        if (selected.isEmpty() && transformers.isEmpty() && convs.isEmpty())
            throw new IllegalArgumentException("--nets '" + nets + "' selects none of "
                    + BenchNets.referenceNets().keySet() + ", " + TransformerBench.NETS + " or " + ConvBench.NETS);
        out.println(
                "| net | engine | steps | RSS MB start / mid / end | peak RSS MB | off-heap (JavaCPP physicalBytes) MB"
                        + " start / mid / end | collections forced by " + MemoryGuard.PROPERTY
                        + " | the stack's buffers, MB (StackMemory) | Java heap committed MB start / mid / end |");
        out.println("|---|---|---:|---|---:|---|---:|---:|---|");
        for (Map.Entry<String, RunConfig> n : selected.entrySet()) {
            RunConfig rc = n.getValue();
            if (engines.contains("dl4j"))
                try (BenchVariants v = new BenchVariants(
                        rc, new OutputDir(scratch.resolve(n.getKey()).toString()))) {
                    out.println(row(n.getKey(), "dl4j", steps, v.of(BenchVariants.STATS), "–", err));
                }
            for (String e : List.of("stacked", "stacked_portable")) {
                if (!engines.contains(e)) continue;
                if (!StackedMlp.supports(rc)) {
                    err.println(
                            "soak " + n.getKey() + ": the stacked engine does not build this net; no " + e + " row");
                    continue;
                }
                try (BenchVariants v = new BenchVariants(
                        rc,
                        stack,
                        new OutputDir(scratch.resolve(n.getKey() + "-" + e).toString()))) {
                    String variant = e.equals("stacked") ? BenchVariants.STACKED : BenchVariants.STACKED_PORTABLE;
                    String counted = String.valueOf((stack * StackMemory.bytesPerRun(rc)) >> 20);
                    out.println(row(n.getKey(), e + ":" + stack, steps, v.of(variant), counted, err));
                }
            }
        }
        // a transformer trains as a sweep's run does (its own engine, never stacked): whatever --soak-engines says
        for (String t : transformers) {
            RunConfig rc = TransformerBench.runConfig(t);
            try (RunWriter w = new RunWriter(new OutputDir(scratch.resolve(t).toString()), rc, 0)) {
                out.println(row(t, "transformer", steps, TransformerBench.sweepStep(rc, w), "–", err));
            }
        }
        for (String c : convs) {
            RunConfig rc = ConvBench.runConfig(c);
            try (RunWriter w = new RunWriter(new OutputDir(scratch.resolve(c).toString()), rc, 0)) {
                out.println(row(c, "conv", steps, ConvBench.sweepStep(rc, w), "–", err));
            }
        }
    }

    private static String row(String net, String engine, int steps, Runnable step, String counted, PrintStream err) {
        long[][] m = new long[3][];
        long peak = -1;
        long gc0 = MemoryGuard.collections();
        int warmup = Math.min(WARMUP, steps / 4);
        for (int i = 0; i < steps; i++) {
            if (i == warmup) m[0] = memory();
            if (i == warmup + (steps - warmup) / 2) m[1] = memory();
            if (i >= warmup && i % SAMPLE_EVERY == 0) peak = Math.max(peak, memory()[0]);
            step.run();
            if (i > 0 && i % 5000 == 0) err.println("soak " + net + " " + engine + ": " + i + " steps");
        }
        m[2] = memory();
        if (m[0] == null) m[0] = m[2];
        if (m[1] == null) m[1] = m[2];
        peak = Math.max(peak, m[2][0]);
        return String.format(
                Locale.ROOT,
                "| %s | %s | %d | %d / %d / %d | %d | %d / %d / %d | %d | %s | %d / %d / %d |",
                net,
                engine,
                steps,
                m[0][0],
                m[1][0],
                m[2][0],
                peak,
                m[0][1],
                m[1][1],
                m[2][1],
                MemoryGuard.collections() - gc0,
                counted,
                m[0][2],
                m[1][2],
                m[2][2]);
    }

    /**
     * {RSS MB, JavaCPP physical off-heap MB, Java heap committed MB}: the heap is part of RSS, so RSS growing with the
     * committed heap is the collector sizing its heap, not native memory.
     */
    static long[] memory() {
        long rss = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        } catch (IOException | NumberFormatException e) {
            rss = -1; // not Linux: RSS unknown
        }
        return new long[] {
            rss,
            org.bytedeco.javacpp.Pointer.physicalBytes() / (1 << 20),
            Runtime.getRuntime().totalMemory() >> 20
        };
    }
}
