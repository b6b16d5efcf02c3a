package dev.gradsweep.bench;

import dev.gradsweep.bench.RecurrentBench.Overhead;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Positions;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.transformer.TransformerNet;
import dev.gradsweep.transformer.TransformerRun;
import dev.gradsweep.transformer.TransformerSpec;
import dev.gradsweep.transformer.TransformerTrainer;
import dev.gradsweep.transformer.task.ReverseSortTask;
import dev.gradsweep.transformer.task.TokenBatch;
import dev.gradsweep.transformer.task.TokenTask;
import dev.gradsweep.transformer.task.TokenTasks;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ms per training step of a transformer on the reverse task, bare and with statistics, interleaved in rounds on one
 * net ({@link RecurrentBench#interleaved}: medians of per-round values, wall and the thread's CPU time). With
 * statistics is a sweep's step, {@link TransformerTrainer#step}: task batch, forward and backward with the taps and
 * attention statistics, ParamStats of every array (gradient and update), the stream's activation statistics, SGD,
 * the rows handed to a recorder that drops them (a sweep's recorder buffers them for its Parquet writer). Bare, on the
 * same net: task batch, forward and backward without statistics, ‖g‖ to the host, the same SGD step. Run with
 * OMP_NUM_THREADS=1 for one thread.
 * <pre>java -cp … dev.gradsweep.bench.TransformerBench [pre|post depth width heads T batch vocab rounds steps act]</pre>
 * Defaults: pre 4 64 4 32 32 16 20 5 relu: the bench shape (ffn 4, layer norm, residual, learned positions,
 * bidirectional, float32; relu as PyTorch's nn.TransformerEncoderLayer). {@code gradsweep bench} prints {@link #NETS}.
 */
public final class TransformerBench {
    /** The nets of {@code bench --nets transformer}: the bench shape pre-LN and its post-LN twin. */
    public static final String PRE = "transformer4x64_pre", POST = "transformer4x64_post";

    public static final List<String> NETS = List.of(PRE, POST);
    /** Their rounds and steps per round and variant in {@code bench} (a step takes ≈ 50 ms on one core). */
    public static final int ROUNDS = 20, STEPS = 5;

    static final double LR = 1e-3;

    private TransformerBench() {}

    public static void main(String[] args) {
        Placement place = Placement.valueOf(arg(args, 0, "pre").toUpperCase(Locale.ROOT));
        int depth = Integer.parseInt(arg(args, 1, "4")),
                width = Integer.parseInt(arg(args, 2, "64")),
                heads = Integer.parseInt(arg(args, 3, "4")),
                t = Integer.parseInt(arg(args, 4, "32")),
                batch = Integer.parseInt(arg(args, 5, "32")),
                vocab = Integer.parseInt(arg(args, 6, "16")),
                rounds = Integer.parseInt(arg(args, 7, "20")),
                steps = Integer.parseInt(arg(args, 8, "5"));
        Activation act = Activation.parse(arg(args, 9, "relu"));
        overhead(spec(place, depth, width, heads, t, vocab, act), batch, rounds, steps)
                .printLines(System.out);
    }

    /** The bench's transformer: ffn 4, layer norm, residual, learned positions, bidirectional, xavier, float32. */
    static TransformerSpec spec(Placement place, int depth, int width, int heads, int t, int vocab, Activation act) {
        return new TransformerSpec(
                vocab,
                t,
                width,
                heads,
                4,
                depth,
                act,
                Init.parse("xavier"),
                Norm.LAYER,
                place,
                Skip.RESIDUAL,
                Positions.LEARNED,
                false,
                TrainSpec.DType.FLOAT32,
                1);
    }

    /** The nets of {@link #NETS} that {@code --nets picked} selects (all, or those it is a prefix of). */
    public static List<String> selected(String picked) {
        return NETS.stream()
                .filter(n -> picked.equals("all") || n.startsWith(picked))
                .toList();
    }

    /** The figures of {@code nets} (of {@link #NETS}): 4 blocks, d 64, 4 heads, T 32, batch 32, vocab 16, relu. */
    public static Map<String, Overhead> reference(List<String> nets, int rounds, int steps) {
        Map<String, Overhead> o = new LinkedHashMap<>();
        for (String n : nets) {
            Placement p = n.endsWith("_post") ? Placement.POST : Placement.PRE;
            o.put(n, overhead(spec(p, 4, 64, 4, 32, 16, Activation.RELU), 32, rounds, steps));
        }
        return o;
    }

    /**
     * A sweep's run of a net of {@link #NETS} (the bench shape on the reverse task, SGD lr {@link #LR}, steps
     * 10⁷, the grid's largest), from the grid text a user would write: what {@code bench --soak} trains.
     */
    static RunConfig runConfig(String net) {
        String yaml = String.join(
                "\n",
                "name: bench",
                "task: {kind: reverse, vocab: 16}",
                "train: {steps: 10000000, batch: 32, optimizer: sgd, lr: " + LR + ", clip: none, dtype: float32}",
                "seeds: [1]",
                "axes:",
                "  arch: [transformer]",
                "  depth: [4]",
                "  width: [64]",
                "  heads: [4]",
                "  seq_len: [32]",
                "  activation: [relu]",
                "  init: [xavier]",
                "  norm: [layer]",
                "  placement: [" + (net.endsWith("_post") ? "post" : "pre") + "]",
                "  skip: [residual]",
                "");
        return GridSpec.parse(yaml, net).expand().get(0);
    }

    /** One sweep step of the run rc per call, its rows into rec: {@link TransformerTrainer#step}, as TransformerRun. */
    static Runnable sweepStep(RunConfig rc, RunRecorder rec) {
        TokenTask task = TokenTasks.of(rc);
        TransformerTrainer trainer =
                new TransformerTrainer(TransformerRun.spec(rc, task), task, rc.train, TrainingMemory.forBackend());
        RunOutcome out = new RunOutcome();
        return () -> trainer.step(rec, out);
    }

    /** {@code bench}'s transformer section: a table (or csv rows) per net. */
    public static void print(Map<String, Overhead> os, boolean csv, boolean header, PrintStream out) {
        boolean first = true;
        for (Map.Entry<String, Overhead> e : os.entrySet()) {
            RecurrentBench.print(e.getKey(), "transformer", "Transformer", e.getValue(), csv, header && first, out);
            first = false;
        }
    }

    /** Statistics' overhead, the variants interleaved in rounds on one trainer's net (SGD, lr {@link #LR}). */
    static Overhead overhead(TransformerSpec spec, int batch, int rounds, int steps) {
        TokenTask task = new ReverseSortTask(false, spec.vocab(), spec.context(), 1);
        TrainSpec train =
                new TrainSpec(Integer.MAX_VALUE, batch, TrainSpec.Optimizer.SGD, LR, "none", TrainSpec.DType.FLOAT32);
        TrainingMemory memory = TrainingMemory.forBackend();
        TransformerTrainer trainer = new TransformerTrainer(spec, task, train, memory);
        RunOutcome out = new RunOutcome();
        Bare bare = new Bare(trainer.net(), task, memory);
        String what = String.format(
                Locale.ROOT,
                "%s-LN, %d blocks, d %d, %d heads, ffn %d %s, T %d, batch %d, vocab %d, float32, SGD, %d params, %d"
                        + " rounds x %d steps per variant, OPENBLAS_CORETYPE %s",
                spec.placement().key,
                spec.depth(),
                spec.width(),
                spec.heads(),
                spec.ffn(),
                spec.activation().key,
                spec.context(),
                batch,
                spec.vocab(),
                trainer.net().params().length(),
                rounds,
                steps,
                System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset (detected)"));
        return RecurrentBench.interleaved(
                what,
                trainer.net().params().length(),
                stats -> {
                    if (stats) trainer.step(RunRecorder.NONE, out);
                    else bare.step();
                },
                rounds,
                steps);
    }

    /** The bare loop: the trainer's data and SGD step without any statistic but the gradient's norm. */
    private static final class Bare {
        private final TransformerNet net;
        private final TokenTask task;
        private final TrainingMemory memory;
        private final TokenBatch batch;
        private final double[] norm = new double[1];
        private long step;

        Bare(TransformerNet net, TokenTask task, TrainingMemory memory) {
            this.net = net;
            this.task = task;
            this.memory = memory;
            this.batch = new TokenBatch(net.batch(), task.seqLen());
        }

        void step() {
            task.fill(step++ * batch.batch, batch);
            net.setBatch(batch.tokens, batch.targets); // reverse: every position has a target
            net.computeGradient(false);
            INDArray g = net.gradient();
            memory.sumSq(g, norm, 0);
            memory.sync();
            net.params().subi(g.muli(LR));
        }
    }

    private static String arg(String[] a, int i, String def) {
        return a.length > i ? a[i] : def;
    }
}
