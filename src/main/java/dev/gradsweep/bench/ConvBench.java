package dev.gradsweep.bench;

import dev.gradsweep.bench.RecurrentBench.Overhead;
import dev.gradsweep.conv.ConvNet;
import dev.gradsweep.conv.ConvRun;
import dev.gradsweep.conv.ConvTrainer;
import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.update.FlatUpdater;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * ms per training step of issue #29's bench conv nets (docs/conv.md), bare and with statistics, interleaved in rounds
 * on one net ({@link RecurrentBench#interleaved}). With statistics is a sweep's step, {@link ConvTrainer#step}: batch,
 * forward and backward, ParamStats of every array, δ and the layers rows' activation statistics, SGD, rows to a
 * recorder that drops them. Bare, on the same net: batch, forward and backward, the updater, p ← p − u. Run with
 * OMP_NUM_THREADS=1 for one thread.
 * <pre>java -cp … dev.gradsweep.bench.ConvBench [net rounds steps]</pre>
 */
public final class ConvBench {
    /** The ResNet (3 stages × 3 basic blocks, 16/32/64 channels: ResNet-20's layout) and its plain twin. */
    public static final String RESNET = "resnet_conv20_residual", PLAIN = "resnet_conv20_plain";

    public static final List<String> NETS = List.of(RESNET, PLAIN);
    /** Their rounds and steps per round and variant in {@code bench} (a step takes ≈ 100 ms on one core). */
    public static final int ROUNDS = 20, STEPS = 5;
    /** Steps of each variant before the rounds: C2 compiles the Vector API kernels only after some calls. */
    static final int WARMUP = 10;

    private ConvBench() {}

    public static void main(String[] args) {
        String net = args.length > 0 ? args[0] : RESNET;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : ROUNDS,
                steps = args.length > 2 ? Integer.parseInt(args[2]) : STEPS;
        overhead(net, rounds, steps).printLines(System.out);
    }

    /** The nets of {@link #NETS} that {@code --nets picked} selects (all, or those it is a prefix of). */
    public static List<String> selected(String picked) {
        return NETS.stream()
                .filter(n -> picked.equals("all") || n.startsWith(picked))
                .toList();
    }

    /**
     * A sweep's run of a net of {@link #NETS}, from the grid text a user would write: teacher_cnn's 3 × 16 × 16
     * images, 10 classes, batch norm, post placement (the original ResNet), ReLU, he, SGD lr 1e-3, float32; the
     * plain twin has 18 single convs where the ResNet has 9 blocks of two.
     */
    static RunConfig runConfig(String net) {
        boolean plain = net.equals(PLAIN);
        String yaml = String.join(
                "\n",
                "name: bench",
                "task: {kind: teacher_cnn, size: 16, channels: 3, outputs: 10, samples: 320}",
                "train: {steps: 10000000, batch: 32, optimizer: sgd, lr: 0.001, clip: none, dtype: float32, stages: 3}",
                "seeds: [1]",
                "axes:",
                "  arch: [conv]",
                "  depth: [" + (plain ? 18 : 9) + "]",
                "  width: [16]",
                "  activation: [relu]",
                "  init: [he]",
                "  norm: [batch]",
                "  placement: [post]",
                "  skip: [" + (plain ? "none" : "residual") + "]",
                "");
        return GridSpec.parse(yaml, net).expand().get(0);
    }

    /** One sweep step of the run rc per call, its rows into rec: {@link ConvTrainer#step}, as ConvRun. */
    static Runnable sweepStep(RunConfig rc, RunRecorder rec) {
        TaskData data = Tasks.generate(rc.task, rc.seed);
        ConvTrainer trainer =
                new ConvTrainer(ConvRun.spec(rc, data), data, rc.train, rc.seed, TrainingMemory.forBackend());
        RunOutcome out = new RunOutcome();
        return () -> trainer.step(rec, out);
    }

    /** The figures of {@code nets} (of {@link #NETS}). */
    public static Map<String, Overhead> reference(List<String> nets, int rounds, int steps) {
        Map<String, Overhead> o = new LinkedHashMap<>();
        for (String n : nets) o.put(n, overhead(n, rounds, steps));
        return o;
    }

    /** {@code bench}'s conv section: a table (or csv rows) per net. */
    public static void print(Map<String, Overhead> os, boolean csv, boolean header, PrintStream out) {
        boolean first = true;
        for (Map.Entry<String, Overhead> e : os.entrySet()) {
            RecurrentBench.print(e.getKey(), "conv", "Conv net", e.getValue(), csv, header && first, out);
            first = false;
        }
    }

    /** Statistics' overhead, the variants interleaved in rounds on one trainer's net. */
    static Overhead overhead(String net, int rounds, int steps) {
        RunConfig rc = runConfig(net);
        TaskData data = Tasks.generate(rc.task, rc.seed);
        TrainingMemory memory = TrainingMemory.forBackend();
        ConvTrainer trainer = new ConvTrainer(ConvRun.spec(rc, data), data, rc.train, rc.seed, memory);
        RunOutcome out = new RunOutcome();
        Runnable bare = bare(trainer.net(), data, rc, memory);
        for (int i = 0; i < WARMUP; i++) {
            bare.run();
            trainer.step(RunRecorder.NONE, out);
        }
        long params = trainer.net().params().length();
        String what = String.format(
                Locale.ROOT,
                "%s, %d %s, 16/32/64 channels, batch norm, post, relu, 3 x 16 x 16, batch 32, 10 classes, float32,"
                        + " SGD, %d params, %s, %d rounds x %d steps per variant",
                net,
                rc.depth,
                rc.depth == 9 ? "basic blocks" : "convs",
                params,
                memory.name(),
                rounds,
                steps);
        return RecurrentBench.interleaved(
                what,
                params,
                stats -> {
                    if (stats) trainer.step(RunRecorder.NONE, out);
                    else bare.run();
                },
                rounds,
                steps);
    }

    /** The bare loop on the trainer's net: its own batches, forward and backward, the updater, p ← p − u. */
    private static Runnable bare(ConvNet net, TaskData data, RunConfig rc, TrainingMemory memory) {
        Batches b = new Batches(data, rc.train.batch, DataType.FLOAT, rc.seed, memory);
        GradientUpdater upd = FlatUpdater.over(rc.train, net.params());
        int[] step = {0};
        return () -> {
            b.next();
            net.setBatch(b.features, b.labels);
            net.computeGradient();
            upd.applyUpdater(net.gradient(), step[0]++, 0);
            net.params().subi(net.gradient());
        };
    }
}
