package dev.gradsweep.bench;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.sweep.SweepDriver;
import dev.gradsweep.sweep.Threads;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.stats.ParamStep;
import dev.gradsweep.simd.Simd;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.train.TrainLoop;
import dev.gradsweep.train.stack.StackedMlp;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The performance figures of {@code gradsweep bench}. Step time with statistics (probe + Parquet rows, as in a
 * sweep) against the same network trained bare, and the other engines (DL4J's fit, SameDiff), interleaved round by
 * round in one process so that machine noise hits every variant alike; medians over rounds are reported, and each
 * variant's ratio to the bare loop paired per round.
 */
public final class Bench {
    /**
     * @param profile null, or a variant name: train only that variant of the one net {@code nets} selects for
     *                {@code steps} steps (after a warm-up), e.g. to profile it; {@code jfr}: record those steps there
     */
    public record Options(boolean csv, int rounds, int steps, String nets, boolean sweep, int soak, String profile, Path jfr,
                          boolean otherEngines) {
        public Options(boolean csv, int rounds, int steps, String nets, boolean sweep) {
            this(csv, rounds, steps, nets, sweep, 0, null, null, true);
        }
    }

    /** Variant names (the csv's {@code variant} column). The lean DL4J loop without statistics is the reference. */
    public static final String BARE = "dl4j", STATS = "dl4j_stats", FIT = "dl4j_fit", SAMEDIFF = "samediff", SAMEDIFF_DLDA = "samediff_dlda",
            STACKED = "stacked";
    public static final List<String> VARIANTS = List.of(BARE, STATS, FIT, SAMEDIFF, SAMEDIFF_DLDA, STACKED);

    /** Runs per stack in the stacked variant (32 copies of the small net were measured: docs/platform-notes.md). */
    public static final int STACK = 32;

    /** The reference nets (foundation issue, plus a 10-block pre-LN residual net): name → run configuration (steps unbounded). */
    public static Map<String, RunConfig> referenceNets() {
        Map<String, RunConfig> m = new LinkedHashMap<>();
        TrainSpec small = new TrainSpec(Integer.MAX_VALUE, 32, TrainSpec.Optimizer.SGD, 0.01, "none", TrainSpec.DType.FLOAT32);
        m.put("mlp50x10_sigmoid_b32", new RunConfig("bench", 50, 10, Activation.SIGMOID, Init.parse("xavier"), Norm.NONE, Placement.NA, Skip.NONE,
                new TaskSpec(TaskSpec.Kind.GAUSS, 10, 10, 1024, TaskSpec.Objective.REGRESSION, null, null, List.of()), small, 1));
        TrainSpec large = new TrainSpec(Integer.MAX_VALUE, 128, TrainSpec.Optimizer.SGD, 0.001, "none", TrainSpec.DType.FLOAT32);
        m.put("mlp20x256_relu_b128", new RunConfig("bench", 20, 256, Activation.RELU, Init.parse("he"), Norm.NONE, Placement.NA, Skip.NONE,
                new TaskSpec(TaskSpec.Kind.GAUSS, 256, 10, 2048, TaskSpec.Objective.REGRESSION, null, null, List.of()), large, 1));
        m.put("preln10x256_relu_b128", new RunConfig("bench", 10, 256, Activation.RELU, Init.parse("he"), Norm.LAYER, Placement.PRE, Skip.RESIDUAL,
                new TaskSpec(TaskSpec.Kind.GAUSS, 256, 10, 2048, TaskSpec.Objective.REGRESSION, null, null, List.of()), large, 1));
        return m;
    }

    static final String SWEEP_GRID = String.join("\n",
            "name: bench-sweep",
            "task: {kind: teacher, inputs: 8, samples: 256}",
            "train: {steps: 50, batch: 32, optimizer: sgd, lr: 0.05, dtype: float32}",
            "seeds: [1]",
            "axes:",
            "  depth: [5, 10]",
            "  width: [16]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier, he]", "");

    private Bench() {
    }

    public static void run(Options o, PrintStream out, PrintStream err) throws IOException {
        Threads.apply(1);
        Path tmp = Files.createTempDirectory("gradsweep-bench");
        if (o.soak() > 0) {
            soak(referenceNets().get("mlp50x10_sigmoid_b32"), o.soak(), new OutputDir(tmp.resolve("soak").toString()), out, err);
            return;
        }
        if (o.profile() != null) {
            profile(o, tmp, err);
            return;
        }
        String setup = "statistics loops: " + Simd.describe() + "; parameter step: "
                + (ParamStep.hostEnabled() ? "host (reducing)" : "ND4J subi") + "; process bound " + MemoryGuard.PROPERTY + " = "
                + (MemoryGuard.limit() > 0 ? (MemoryGuard.limit() >> 20) + " MB" : "off");
        err.println("bench: " + setup);
        List<String[]> rows = new ArrayList<>(), others = new ArrayList<>();
        List<String> csv = new ArrayList<>();
        for (Map.Entry<String, RunConfig> e : selected(o.nets()).entrySet()) {
            String net = e.getKey();
            RunConfig rc = e.getValue();
            List<String> names = new ArrayList<>(List.of(BARE, STATS));
            if (o.otherEngines()) names.add(FIT);
            if (o.otherEngines() && SameDiffMlp.supports(rc)) names.addAll(List.of(SAMEDIFF, SAMEDIFF_DLDA));
            err.println("bench: " + net + " (" + o.rounds() + " rounds x " + o.steps() + " steps per variant: " + String.join(", ", names) + ")");
            Map<String, Timing> t;
            try (Variants v = new Variants(rc, new OutputDir(tmp.resolve(net).toString()))) {
                v.warmWritePath(WARMUP_STEPS);
                t = interleaved(v, names, o.rounds(), o.steps());
                // The writers encode a page every 20,000 rows and write row groups later: what is still buffered when
                // the rounds end is encoded and written at close, so that is timed too and counted in the total
                // (conservatively: it includes the warm-up's rows).
                long c0 = System.nanoTime();
                v.close();
                double closeMs = (System.nanoTime() - c0) / 1e6;
                t.put(STATS, t.get(STATS).plus(closeMs / o.steps()));
                err.println(String.format(Locale.ROOT, "bench: %s: closing the Parquet writers took %.1f ms", net, closeMs));
            }
            // architectures the stacked engine does not build yet train one by one: no stacked figure
            double stacked = StackedMlp.supports(rc) ? stackedStepTime(rc, STACK_ROUNDS, STACK_STEPS,
                    new OutputDir(tmp.resolve(net + "-stacked").toString())) : Double.NaN;
            Timing stats = t.get(STATS);
            rows.add(new String[]{net, fmt(t.get(BARE).ms()), fmt(stats.ms()), String.format(Locale.ROOT, "%+.1f", 100 * (stats.ratio() - 1)),
                    String.format(Locale.ROOT, "%+.1f … %+.1f", 100 * (stats.q1() - 1), 100 * (stats.q3() - 1)),
                    String.format(Locale.ROOT, "%+.1f", 100 * (stats.total() - 1)), fmt(stacked)});
            csv.add(String.join(",", net, "off", fmt(t.get(BARE).ms()), BARE, "1.000"));
            csv.add(String.join(",", net, "on", fmt(stats.ms()), STATS, fmt3(stats.ratio())));
            if (!Double.isNaN(stacked)) csv.add(String.join(",", net + "_stacked" + STACK, "on", fmt(stacked), STACKED, ""));
            for (String name : names.subList(2, names.size())) {
                Timing x = t.get(name);
                others.add(new String[]{net, name, fmt(x.ms()), String.format(Locale.ROOT, "%.2fx (%.2f … %.2f)", x.ratio(), x.q1(), x.q3())});
                // (net, stats) stays unique as before: a variant other than the DL4J loop names itself in the net too
                csv.add(String.join(",", net + "_" + name, "off", fmt(x.ms()), name, fmt3(x.ratio())));
            }
        }
        if (o.csv()) {
            out.println("net,stats,ms_per_step,variant,ratio_to_bare");
            csv.forEach(out::println);
        } else {
            out.println(setup);
            out.println();
            out.println("| net | bare ms/step | with statistics ms/step | overhead % (median of rounds) | overhead, quartiles | overhead, total time | stacked x"
                    + STACK + " with statistics, ms per run-step |");
            out.println("|---|---:|---:|---:|---:|---:|---:|");
            for (String[] r : rows) out.println("| " + String.join(" | ", r) + " |");
            if (!others.isEmpty()) {
                out.println();
                out.println("Other engines, no statistics, interleaved with the above (" + FIT + ": DL4J's fit; " + SAMEDIFF_DLDA
                        + ": SameDiff also returning dL/da of every layer):");
                out.println();
                out.println("| net | variant | ms/step | / bare DL4J loop, median of rounds (quartiles) |");
                out.println("|---|---|---:|---:|");
                for (String[] r : others) out.println("| " + String.join(" | ", r) + " |");
            }
        }
        if (o.sweep()) {
            Path grid = tmp.resolve("bench-grid.yaml");
            Files.writeString(grid, SWEEP_GRID);
            for (int n : new int[]{1, 2}) {
                long t0 = System.nanoTime();
                SweepDriver.Summary s = SweepDriver.run(new SweepDriver.Options(grid.toString(), tmp.resolve("sweep" + n).toString(),
                        false, true, "local[" + n + "]", 0), err);
                double min = (System.nanoTime() - t0) / 60e9;
                String line = String.format(Locale.ROOT, "sweep throughput local[%d]: %d runs (%d steps each) in %.1f s = %.1f runs/min (Spark start-up included)",
                        n, s.results().size(), 50, min * 60, s.results().size() / min);
                if (o.csv()) err.println(line);
                else out.println(line);
            }
        }
    }

    /** The reference nets whose names start with {@code prefix} ("all": every one). */
    static Map<String, RunConfig> selected(String prefix) {
        Map<String, RunConfig> m = new LinkedHashMap<>();
        referenceNets().forEach((name, rc) -> {
            if (prefix.equals("all") || name.startsWith(prefix)) m.put(name, rc);
        });
        return m;
    }

    /**
     * Warm-up before a profile starts, at least this many steps and seconds: JIT compilation (C2 was still busy with
     * SameDiff's executor after 100 steps), workspaces and first allocations settle.
     */
    static final int PROFILE_WARMUP_STEPS = 100, PROFILE_WARMUP_SECONDS = 20;

    /** Warm-up steps of every variant before the timed rounds. */
    static final int WARMUP_STEPS = 200;
    /**
     * Rounds and steps of the stacked figure: fixed, since a step of a stack of 32 wide nets takes most of a second
     * and the figure is a cost per run-step, not a paired ratio.
     */
    static final int STACK_ROUNDS = 5, STACK_STEPS = 10;

    /**
     * Trains one variant of one net for {@code o.steps()} steps after a warm-up, nothing else, so that a profiler sees
     * only that loop; with {@code o.jfr()} the steps are recorded by Flight Recorder (settings "profile", Java and
     * native-method samples every millisecond instead of every 10 / 20 ms).
     */
    static void profile(Options o, Path tmp, PrintStream err) throws IOException {
        Map<String, RunConfig> nets = selected(o.nets());
        if (nets.size() != 1)
            throw new IllegalArgumentException("--profile needs --nets to select exactly one net of " + referenceNets().keySet() + "; '" + o.nets() + "' selects " + nets.size());
        Map.Entry<String, RunConfig> net = nets.entrySet().iterator().next();
        try (Variants v = new Variants(net.getValue(), new OutputDir(tmp.resolve("profile").toString()))) {
            Runnable step = v.of(o.profile());
            // JFR's first start in a process throws away all compiled code; the recompiled, still slower code then
            // filled the first seconds of the measured steps. Start it before the warm-up instead.
            Recording primer = new Recording();
            if (o.jfr() != null) primer.start();
            long warm = System.nanoTime();
            for (int i = 0; i < PROFILE_WARMUP_STEPS || System.nanoTime() - warm < PROFILE_WARMUP_SECONDS * 1_000_000_000L; i++) step.run();
            Recording jfr = null;
            if (o.jfr() != null) {
                try {
                    jfr = new Recording(Configuration.getConfiguration("profile"));
                } catch (java.text.ParseException e) {
                    throw new IOException("JFR's built-in 'profile' settings", e);
                }
                jfr.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
                jfr.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(1));
                jfr.setDestination(o.jfr());
                jfr.start();
            }
            // a native profiler attached from outside (perf record -p) starts at this line
            err.println("profile: warm-up done, measuring " + o.steps() + " steps");
            double ms = timed(step, o.steps());
            if (jfr != null) {
                jfr.stop(); // writes the recording to its destination
                jfr.close();
            }
            primer.close();
            err.println(String.format(Locale.ROOT, "profile: %s %s: %d steps, %.2f ms/step%s", net.getKey(), o.profile(), o.steps(), ms,
                    o.jfr() == null ? "" : ", recorded to " + o.jfr()));
        }
    }

    /**
     * A variant's median ms/step over rounds, the median and quartiles of its per-round ratio to {@link #BARE}, and
     * the ratio of total times ({@code sum} and {@code bareSum}: the rounds' ms/step summed): the medians leave out
     * rare slow rounds (a Parquet page being encoded, a collection), the total counts them, along with the machine's
     * own hiccups.
     */
    record Timing(double ms, double ratio, double q1, double q3, double sum, double bareSum) {
        double total() {
            return sum / bareSum;
        }

        /** Counts work done after the rounds (on the rounds' scale: ms / steps per round) in the total. */
        Timing plus(double msPerStepOfRound) {
            return new Timing(ms, ratio, q1, q3, sum + msPerStepOfRound, bareSum);
        }
    }

    /**
     * Times the named variants (the first is {@link #BARE}) round by round in one process, each round in a rotated
     * order so that no variant always runs first; the ratio of each round's paired measurements is robust to slow
     * drift of the machine's speed.
     */
    static Map<String, Timing> interleaved(Variants v, List<String> names, int rounds, int steps) throws IOException {
        int n = names.size();
        List<Runnable> step = new ArrayList<>();
        for (String name : names) step.add(v.of(name));
        // Warm-up, interleaved like the rounds: JIT compilation of every path (the statistics and Parquet code is the
        // larger part), workspaces, first allocations. With short rounds a warm-up of one round left C2 busy in the
        // first measured rounds, which then weighed on the statistics' total.
        for (int done = 0; done < WARMUP_STEPS; done += steps)
            for (Runnable s : step) timed(s, steps);
        double[][] t = new double[n][rounds];
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < n; i++) {
                int k = (i + r) % n;
                t[k][r] = timed(step.get(k), steps);
            }
        Map<String, Timing> m = new LinkedHashMap<>();
        for (int k = 0; k < n; k++) {
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = t[k][r] / t[0][r];
            m.put(names.get(k), new Timing(median(t[k]), median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75),
                    Arrays.stream(t[k]).sum(), Arrays.stream(t[0]).sum()));
        }
        return m;
    }

    /**
     * The bench's variants of one reference net, each a function that trains one step; closing closes the Parquet
     * writers of the variants that record statistics.
     */
    static final class Variants implements Closeable {
        private final RunConfig rc;
        private final TaskData data;
        private final OutputDir scratch;
        private final List<RunWriter> writers = new ArrayList<>();

        Variants(RunConfig rc, OutputDir scratch) {
            this.rc = rc;
            this.data = Tasks.generate(rc.task, rc.seed);
            this.scratch = scratch;
        }

        Runnable of(String variant) throws IOException {
            switch (variant) {
                case BARE: return loop(RunRecorder.NONE, false);
                case STATS: return loop(writer(rc), true);
                case FIT: {
                    // DL4J's own fit with the factory's settings: the "before" of the training-throughput issue
                    ComputationGraph net = NetworkFactory.build(rc).graph();
                    Batches b = new Batches(data, rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
                    DataSet ds = new DataSet(b.features, b.labels);
                    return () -> {
                        MemoryGuard.check(); // the same memory bound as the gradsweep engines
                        b.next();
                        net.fit(ds);
                    };
                }
                case SAMEDIFF:
                case SAMEDIFF_DLDA: {
                    SameDiffMlp sd = new SameDiffMlp(rc, data, variant.equals(SAMEDIFF_DLDA));
                    return () -> {
                        MemoryGuard.check();
                        sd.step();
                    };
                }
                case STACKED: {
                    StackedMlp stack = stackOf(0);
                    return () -> {
                        if (!stack.hasNext()) throw new IllegalStateException("stacked bench net stopped early");
                        stack.step();
                    };
                }
                default: throw new IllegalArgumentException("bench variant '" + variant + "'; allowed: " + String.join(", ", VARIANTS));
            }
        }

        private Runnable loop(RunRecorder rec, boolean withStats) {
            RunOutcome out = new RunOutcome();
            TrainLoop loop = new TrainLoop(NetworkFactory.build(rc), rc, data, rec, withStats, out);
            return () -> {
                if (!loop.hasNext()) throw new IllegalStateException("bench net stopped early: " + out.statusText() + " " + out.error);
                loop.step();
            };
        }

        private RunConfig withSeed(long seed) {
            return rc.withSeed(seed);
        }

        /**
         * Trains a throwaway run recording to Parquet and closes it, committing nothing: the first page encoded and
         * the first file closed in a process run cold (class loading, interpreted code: ~0.2 s and ~1 s measured
         * here), which a sweep pays once per executor, not per run; the rounds and the timed close after them would
         * otherwise count it.
         */
        void warmWritePath(int steps) throws IOException {
            try (RunWriter w = new RunWriter(scratch, withSeed(rc.seed + 1_000_000), 0)) {
                Runnable step = loop(w, true);
                for (int i = 0; i < steps; i++) step.run();
            }
        }

        private RunWriter writer(RunConfig r) throws IOException {
            RunWriter w = new RunWriter(scratch, r, 0);
            writers.add(w);
            return w;
        }

        /** {@link #STACK} copies of the net with seeds rc.seed + seedOffset + i, each recording to Parquet. */
        StackedMlp stackOf(int seedOffset) throws IOException {
            List<RunConfig> runs = new ArrayList<>();
            List<TaskData> data = new ArrayList<>();
            List<RunRecorder> recs = new ArrayList<>();
            List<RunOutcome> outs = new ArrayList<>();
            for (int i = 0; i < STACK; i++) {
                RunConfig r = withSeed(rc.seed + seedOffset + i);
                runs.add(r);
                data.add(Tasks.generate(r.task, r.seed));
                recs.add(writer(r));
                outs.add(new RunOutcome());
            }
            return new StackedMlp(runs, data, recs, outs);
        }

        @Override
        public void close() throws IOException {
            for (RunWriter w : writers) w.close();
        }
    }

    /** ms per run-step of {@link #STACK} copies of {@code rc} (seeds differ) trained as one stack, statistics to Parquet. */
    static double stackedStepTime(RunConfig rc, int rounds, int steps, OutputDir scratch) throws IOException {
        try (Variants v = new Variants(rc, scratch)) {
            Runnable stack = v.of(STACKED);
            timed(stack, steps); // warm-up
            double[] t = new double[rounds];
            for (int r = 0; r < rounds; r++) t[r] = timed(stack, steps) / STACK;
            return median(t);
        }
    }

    /**
     * Memory over a long run, statistics written to Parquet as in a sweep: the DL4J loop and a stack of {@link #STACK}
     * runs, each for {@code steps} steps; RSS and JavaCPP's off-heap bytes at start, middle and end.
     */
    static void soak(RunConfig rc, int steps, OutputDir scratch, PrintStream out, PrintStream err) throws IOException {
        out.println("| engine | steps | RSS MB start / mid / end | off-heap (JavaCPP physicalBytes) MB start / mid / end | collections forced by " + MemoryGuard.PROPERTY + " |");
        out.println("|---|---:|---|---|---:|");
        try (Variants v = new Variants(rc, scratch)) {
            out.println(soakRow("dl4j", steps, v.of(STATS), err));
        }
        try (Variants v = new Variants(rc, scratch)) {
            out.println(soakRow("stacked:" + STACK, steps, v.stackOf(100)::step, err));
        }
    }

    private static String soakRow(String engine, int steps, Runnable step, PrintStream err) {
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
        return String.format(Locale.ROOT, "| %s | %d | %d / %d / %d | %d / %d / %d | %d |", engine, steps, m[0][0], m[1][0], m[2][0], m[0][1], m[1][1], m[2][1],
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
        return new long[]{rss, org.bytedeco.javacpp.Pointer.physicalBytes() / (1 << 20)};
    }

    /** ms per call of {@code step}, over {@code steps} calls. */
    static double timed(Runnable step, int steps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) step.run();
        return (System.nanoTime() - t0) / 1e6 / steps;
    }

    static double median(double[] v) {
        return quantile(v, 0.5);
    }

    /** Linear-interpolated quantile. */
    static double quantile(double[] v, double q) {
        double[] c = v.clone();
        Arrays.sort(c);
        double pos = q * (c.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return c[lo] + (pos - lo) * (c[hi] - c[lo]);
    }

    static String fmt3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }
}
