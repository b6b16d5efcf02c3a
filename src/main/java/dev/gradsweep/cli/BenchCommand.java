package dev.gradsweep.cli;

import dev.gradsweep.bench.BenchNets;
import dev.gradsweep.bench.BenchVariants;
import dev.gradsweep.bench.ConvBench;
import dev.gradsweep.bench.MemorySoak;
import dev.gradsweep.bench.ProfileRun;
import dev.gradsweep.bench.RecurrentBench;
import dev.gradsweep.bench.StackedStepTime;
import dev.gradsweep.bench.StepTimes;
import dev.gradsweep.bench.SweepThroughput;
import dev.gradsweep.bench.TransformerBench;
import dev.gradsweep.sweep.Threads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Performance figures on one thread: ms per training step of the reference nets with and without "
                    + "statistics, and the same nets trained by SameDiff and by DL4J's own fit (all interleaved in one process, "
                    + "ratios to the bare DL4J loop paired per round); per run and step with statistics on the engine a "
                    + "sweep uses for each net (a stack wherever the stacked engine builds it) and its ratio to the bare "
                    + "loop; the LSTM's and the transformers' overhead (bare and with a sweep's statistics); then sweep "
                    + "throughput (runs/min) for local[1] and "
                    + "local[2] on a small fixed grid.",
            "Run it on an idle machine; OMP_NUM_THREADS=1 is set by bin/gradsweep. With the defaults it takes about "
                    + "24 minutes on a 2-core machine (peak RSS 6.4 GB, docs/performance.md); --nets, --rounds and "
                    + "--no-sweep make it shorter."
        })
final class BenchCommand implements Callable<Integer> {
    /** --steps' default, also quoted in --profile's help. */
    private static final String DEFAULT_STEPS = "4";

    @Option(
            names = "--format",
            defaultValue = "table",
            description =
                    "table or csv (columns net,stats,ms_per_step,variant,ratio_to_bare; default: ${DEFAULT-VALUE}).")
    String format;

    @Option(
            names = "--rounds",
            defaultValue = "100",
            description = "Interleaved measurement rounds per net (default: ${DEFAULT-VALUE}): many short rounds "
                    + "pair each variant with the others under the same machine conditions. The stacked figure "
                    + "takes the median of at most " + StackedStepTime.ROUNDS + " rounds of " + StackedStepTime.STEPS
                    + " steps.")
    int rounds;

    @Option(
            names = "--steps",
            defaultValue = DEFAULT_STEPS,
            description = "Steps per round and variant (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--nets",
            description =
                    "all, mlp50x10, mlp20x256, preln10x256 (both pre-LN nets), preln10x256_relu, preln10x256_gelu, "
                            + RecurrentBench.NET + " (name prefixes; default: all, with --soak "
                            + MemorySoak.DEFAULT_NETS
                            + "). " + RecurrentBench.NET + ": a 2-layer LSTM, width 128, T = 100, batch 64, timed in "
                            + RecurrentBench.ROUNDS + " rounds x " + RecurrentBench.STEPS
                            + " steps whatever --rounds and --steps say (a step takes a few hundred ms). "
                            + TransformerBench.PRE + ", " + TransformerBench.POST
                            + ": 4 transformer blocks (pre-LN, post-LN), width 64, 4 heads, ffn 4 relu, T = 32, batch"
                            + " 32, vocab 16, timed in " + TransformerBench.ROUNDS + " rounds x "
                            + TransformerBench.STEPS
                            + " steps likewise. " + ConvBench.RESNET + ", " + ConvBench.PLAIN
                            + ": issue #29's ResNet (3 stages x 3 basic blocks, 16/32/64 channels, batch norm) and"
                            + " its plain twin (18 convs), 3 x 16 x 16, batch 32, timed in " + ConvBench.ROUNDS
                            + " rounds x " + ConvBench.STEPS + " steps likewise.")
    String nets;

    @Option(names = "--no-sweep", description = "Skip the sweep-throughput part.")
    boolean noSweep;

    @Option(
            names = "--no-other-engines",
            description = "Time only the DL4J loop bare and with statistics (no fit, no SameDiff): "
                    + "the other engines' garbage and native frees otherwise land in the statistics' rounds too.")
    boolean noOtherEngines;

    @Option(
            names = "--soak",
            defaultValue = "0",
            paramLabel = "STEPS",
            description = "Instead of timing: train each net --nets selects (default " + MemorySoak.DEFAULT_NETS
                    + ") for STEPS steps, with the DL4J loop and, where the stacked engine builds the net, as a stack"
                    + " of --soak-stack runs (a transformer or conv net: as a sweep's run); report RSS and off-heap memory at"
                    + " start, middle and end, and the peak RSS.")
    int soak;

    @Option(
            names = "--soak-engines",
            split = ",",
            defaultValue = "dl4j,stacked",
            description = "With --soak: which of dl4j, stacked, stacked_portable (the stack through the portable"
                    + " path) to train (default: ${DEFAULT-VALUE}).")
    java.util.List<String> soakEngines;

    @Option(
            names = "--soak-stack",
            paramLabel = "RUNS",
            description = "With --soak: runs in the stacked engine's stack (default: ${DEFAULT-VALUE}, as the"
                    + " timing; fewer make a long soak of a large net affordable).")
    int soakStack = BenchVariants.STACK;

    @Option(
            names = "--profile",
            paramLabel = "VARIANT",
            description =
                    "Instead of timing: train only this variant (dl4j, dl4j_stats, dl4j_stats_portable, dl4j_fit, samediff, samediff_dlda, stacked, stacked_stats_portable) of the one net --nets selects, "
                            + "for --steps steps after a warm-up (" + ProfileRun.WARMUP_STEPS + " steps and "
                            + ProfileRun.WARMUP_SECONDS
                            + " s at least), e.g. to attach a profiler. Give --steps (e.g. 500): its default, "
                            + DEFAULT_STEPS + ", is one timing round.")
    String profile;

    @Option(
            names = "--jfr",
            paramLabel = "FILE",
            description = "With --profile: record the measured steps with Flight Recorder into FILE (.jfr).")
    Path jfr;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("table") && !format.equals("csv"))
            throw new IllegalArgumentException("--format: unknown '" + format + "'; allowed: table, csv");
        if (rounds < 1 || steps < 1) throw new IllegalArgumentException("--rounds and --steps must be >= 1");
        if (soak < 0) throw new IllegalArgumentException("--soak must be >= 0");
        if (profile != null && !BenchVariants.ALL.contains(profile))
            throw new IllegalArgumentException(
                    "--profile: unknown variant '" + profile + "'; allowed: " + String.join(", ", BenchVariants.ALL));
        if (jfr != null && profile == null) throw new IllegalArgumentException("--jfr needs --profile");
        Threads.apply(1);
        Path tmp = Files.createTempDirectory("gradsweep-bench");
        String picked = nets == null ? "all" : nets;
        if (soak > 0) {
            MemorySoak.run(
                    soak,
                    nets == null ? MemorySoak.DEFAULT_NETS : nets,
                    soakEngines,
                    soakStack,
                    tmp.resolve("soak"),
                    System.out,
                    System.err);
            return 0;
        }
        if (profile != null) {
            ProfileRun.run(picked, profile, steps, jfr, tmp.resolve("profile"), System.err);
            return 0;
        }
        boolean csv = format.equals("csv");
        boolean recurrent = picked.equals("all") || RecurrentBench.NET.startsWith(picked);
        boolean feedForward = !BenchNets.selected(picked).isEmpty();
        List<String> transformers = TransformerBench.selected(picked);
        List<String> convs = ConvBench.selected(picked);
        if (!feedForward && !recurrent && transformers.isEmpty() && convs.isEmpty())
            throw new IllegalArgumentException("--nets: '" + picked + "' selects no net; allowed: all, "
                    + String.join(", ", BenchNets.referenceNets().keySet()) + ", " + RecurrentBench.NET + ", "
                    + String.join(", ", TransformerBench.NETS) + ", " + String.join(", ", ConvBench.NETS));
        if (feedForward)
            StepTimes.run(
                    new StepTimes.Options(csv, rounds, steps, picked, !noOtherEngines), tmp, System.out, System.err);
        if (recurrent) {
            System.err.println("bench: " + RecurrentBench.NET + " (" + RecurrentBench.ROUNDS + " rounds x "
                    + RecurrentBench.STEPS + " steps per variant: bare, with statistics)");
            RecurrentBench.print(RecurrentBench.referenceOverhead(), csv, !feedForward, System.out);
        }
        if (!transformers.isEmpty()) {
            System.err.println("bench: " + String.join(", ", transformers) + " (" + TransformerBench.ROUNDS
                    + " rounds x " + TransformerBench.STEPS + " steps per variant: bare, with statistics)");
            TransformerBench.print(
                    TransformerBench.reference(transformers, TransformerBench.ROUNDS, TransformerBench.STEPS),
                    csv,
                    !feedForward && !recurrent,
                    System.out);
        }
        if (!convs.isEmpty()) {
            System.err.println("bench: " + String.join(", ", convs) + " (" + ConvBench.ROUNDS + " rounds x "
                    + ConvBench.STEPS + " steps per variant: bare, with statistics)");
            ConvBench.print(
                    ConvBench.reference(convs, ConvBench.ROUNDS, ConvBench.STEPS),
                    csv,
                    !feedForward && !recurrent && transformers.isEmpty(),
                    System.out);
        }
        // with csv, stdout holds the csv only
        if (!noSweep) SweepThroughput.run(tmp, csv ? System.err : System.out, System.err);
        return 0;
    }
}
