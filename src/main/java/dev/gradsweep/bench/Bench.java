package dev.gradsweep.bench;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.sweep.SweepDriver;
import dev.gradsweep.sweep.Threads;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.RunRecorder;
import dev.gradsweep.train.TrainLoop;
import dev.gradsweep.train.stack.StackedMlp;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The performance figures of {@code gradsweep bench}. Step time with statistics (probe + Parquet rows, as in a
 * sweep) against the same network trained bare, interleaved round by round in one process so that machine noise
 * hits both variants alike; the median over rounds is reported.
 */
public final class Bench {
    public record Options(boolean csv, int rounds, int steps, String nets, boolean sweep, int soak) {
        public Options(boolean csv, int rounds, int steps, String nets, boolean sweep) {
            this(csv, rounds, steps, nets, sweep, 0);
        }
    }

    /** Runs per stack in the stacked variant (STACK-NOTES measured 32 copies of the small net). */
    public static final int STACK = 32;

    /** The reference nets (foundation issue, plus a 10-block pre-LN residual net): name → run configuration (steps unbounded). */
    public static Map<String, RunConfig> referenceNets() {
        Map<String, RunConfig> m = new LinkedHashMap<>();
        TrainSpec small = new TrainSpec(Integer.MAX_VALUE, 32, TrainSpec.Optimizer.SGD, 0.01, "none", TrainSpec.DType.FLOAT32);
        m.put("mlp50x10_sigmoid_b32", new RunConfig("bench", 50, 10, Activation.SIGMOID, Init.parse("xavier"), "none", "n/a", "none",
                new TaskSpec(TaskSpec.Kind.GAUSS, 10, 10, 1024, TaskSpec.Objective.REGRESSION, null, null, List.of()), small, 1));
        TrainSpec large = new TrainSpec(Integer.MAX_VALUE, 128, TrainSpec.Optimizer.SGD, 0.001, "none", TrainSpec.DType.FLOAT32);
        m.put("mlp20x256_relu_b128", new RunConfig("bench", 20, 256, Activation.RELU, Init.parse("he"), "none", "n/a", "none",
                new TaskSpec(TaskSpec.Kind.GAUSS, 256, 10, 2048, TaskSpec.Objective.REGRESSION, null, null, List.of()), large, 1));
        m.put("preln10x256_relu_b128", new RunConfig("bench", 10, 256, Activation.RELU, Init.parse("he"), "layer", "pre", "residual",
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
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, RunConfig> e : referenceNets().entrySet()) {
            if (!o.nets().equals("all") && !e.getKey().startsWith(o.nets())) continue;
            err.println("bench: " + e.getKey() + " (" + o.rounds() + " rounds x " + o.steps() + " steps per variant)");
            double[] ms = stepTimes(e.getValue(), o.rounds(), o.steps(), new OutputDir(tmp.resolve(e.getKey()).toString()));
            // architectures the stacked engine does not build yet train one by one: no stacked figure
            double stacked = StackedMlp.supports(e.getValue()) ? stackedStepTime(e.getValue(), Math.max(2, o.rounds() / 2),
                    Math.max(5, o.steps() / 4), new OutputDir(tmp.resolve(e.getKey() + "-stacked").toString())) : Double.NaN;
            rows.add(new String[]{e.getKey(), fmt(ms[0]), fmt(ms[1]), String.format(Locale.ROOT, "%+.1f", 100 * (ms[2] - 1)),
                    String.format(Locale.ROOT, "%+.1f … %+.1f", 100 * (ms[3] - 1), 100 * (ms[4] - 1)), fmt(stacked)});
        }
        if (o.csv()) {
            out.println("net,stats,ms_per_step");
            for (String[] r : rows) {
                out.println(r[0] + ",off," + r[1]);
                out.println(r[0] + ",on," + r[2]);
                if (!r[5].equals("n/a")) out.println(r[0] + "_stacked" + STACK + ",on," + r[5]);
            }
        } else {
            out.println("| net | bare ms/step | with statistics ms/step | overhead % (median of rounds) | overhead, quartiles | stacked x" + STACK + " with statistics, ms per run-step |");
            out.println("|---|---:|---:|---:|---:|---:|");
            for (String[] r : rows) out.println("| " + String.join(" | ", r) + " |");
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

    /**
     * {median bare ms/step, median stats ms/step, median per-round ratio, its lower and upper quartile}. The ratio of
     * each round's paired measurements is robust to slow drift of the machine's speed.
     */
    static double[] stepTimes(RunConfig rc, int rounds, int steps, OutputDir scratch) throws IOException {
        TaskData data = Tasks.generate(rc.task, rc.seed);
        RunOutcome bareOut = new RunOutcome(), statsOut = new RunOutcome();
        TrainLoop bare = new TrainLoop(NetworkFactory.build(rc), rc, data, RunRecorder.NONE, false, bareOut);
        try (RunWriter writer = new RunWriter(scratch, rc, 0)) {
            TrainLoop stats = new TrainLoop(NetworkFactory.build(rc), rc, data, writer, true, statsOut);
            timed(bare, steps, bareOut); // warm-up: JIT, workspaces, first allocations
            timed(stats, steps, statsOut);
            double[] b = new double[rounds], s = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                if (r % 2 == 0) {
                    b[r] = timed(bare, steps, bareOut);
                    s[r] = timed(stats, steps, statsOut);
                } else {
                    s[r] = timed(stats, steps, statsOut);
                    b[r] = timed(bare, steps, bareOut);
                }
            }
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) ratio[r] = s[r] / b[r];
            return new double[]{median(b), median(s), median(ratio), quantile(ratio, 0.25), quantile(ratio, 0.75)};
        }
    }

    /** ms per run-step of {@link #STACK} copies of {@code rc} (seeds differ) trained as one stack, statistics to Parquet. */
    static double stackedStepTime(RunConfig rc, int rounds, int steps, OutputDir scratch) throws IOException {
        List<RunWriter> writers = new ArrayList<>();
        try {
            StackedMlp stack = stackOf(rc, 0, scratch, writers);
            for (int i = 0; i < steps; i++) stack.step(); // warm-up
            double[] t = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    if (!stack.hasNext()) throw new IllegalStateException("stacked bench net stopped early");
                    stack.step();
                }
                t[r] = (System.nanoTime() - t0) / 1e6 / steps / STACK;
            }
            return median(t);
        } finally {
            for (RunWriter w : writers) w.close();
        }
    }

    /** {@link #STACK} copies of {@code rc} with seeds rc.seed + seedOffset + i, each recording to Parquet in scratch. */
    static StackedMlp stackOf(RunConfig rc, int seedOffset, OutputDir scratch, List<RunWriter> writers) throws IOException {
        List<RunConfig> runs = new ArrayList<>();
        List<TaskData> data = new ArrayList<>();
        List<RunOutcome> outs = new ArrayList<>();
        for (int i = 0; i < STACK; i++) {
            RunConfig r = new RunConfig(rc.sweep, rc.depth, rc.width, rc.activation, rc.init, rc.norm, rc.placement, rc.skip, rc.task,
                    rc.train, rc.seed + seedOffset + i);
            runs.add(r);
            data.add(Tasks.generate(r.task, r.seed));
            writers.add(new RunWriter(scratch, r, 0));
            outs.add(new RunOutcome());
        }
        return new StackedMlp(runs, data, new ArrayList<RunRecorder>(writers), outs);
    }

    /**
     * Memory over a long run, statistics written to Parquet as in a sweep: the DL4J loop and a stack of {@link #STACK}
     * runs, each for {@code steps} steps; RSS and JavaCPP's off-heap bytes at start, middle and end.
     */
    static void soak(RunConfig rc, int steps, OutputDir scratch, PrintStream out, PrintStream err) throws IOException {
        out.println("| engine | steps | RSS MB start / mid / end | off-heap (JavaCPP physicalBytes) MB start / mid / end |");
        out.println("|---|---:|---|---|");
        TaskData data = Tasks.generate(rc.task, rc.seed);
        try (RunWriter w = new RunWriter(scratch, rc, 0)) {
            TrainLoop loop = new TrainLoop(NetworkFactory.build(rc), rc, data, w, true, new RunOutcome());
            out.println(soakRow("dl4j", steps, loop::step, err));
        }
        List<RunWriter> writers = new ArrayList<>();
        try {
            StackedMlp stack = stackOf(rc, 100, scratch, writers);
            out.println(soakRow("stacked:" + STACK, steps, stack::step, err));
        } finally {
            for (RunWriter w : writers) w.close();
        }
    }

    private static String soakRow(String engine, int steps, Runnable step, PrintStream err) {
        long[][] m = new long[3][];
        for (int i = 0; i < steps; i++) {
            if (i == 200) m[0] = memory(); // after warm-up: workspaces and JIT settled
            if (i == steps / 2) m[1] = memory();
            step.run();
            if (i > 0 && i % 5000 == 0) err.println("soak " + engine + ": " + i + " steps");
        }
        m[2] = memory();
        if (m[0] == null) m[0] = m[2];
        if (m[1] == null) m[1] = m[2];
        return String.format(Locale.ROOT, "| %s | %d | %d / %d / %d | %d / %d / %d |", engine, steps, m[0][0], m[1][0], m[2][0], m[0][1], m[1][1], m[2][1]);
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

    static double timed(TrainLoop loop, int steps, RunOutcome out) {
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            if (!loop.hasNext()) throw new IllegalStateException("bench net stopped early: " + out.statusText() + " " + out.error);
            loop.step();
        }
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

    static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }
}
