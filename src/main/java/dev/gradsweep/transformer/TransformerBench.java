package dev.gradsweep.transformer;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.transformer.TransformerSpec.Norm;
import dev.gradsweep.transformer.TransformerSpec.Placement;
import dev.gradsweep.transformer.TransformerSpec.Positions;
import dev.gradsweep.transformer.TransformerSpec.Skip;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ms per training step of a transformer, bare and with every statistic, interleaved in rounds on one net (medians
 * of per-round values, wall and the thread's CPU time). Bare: forward, backward, ‖g‖ to the host, SGD step. With
 * statistics: forward and backward with the taps and attention statistics, ParamStats of every array (gradient
 * and update), SGD step. Run with OMP_NUM_THREADS=1 for one thread.
 * <pre>java -cp … dev.gradsweep.transformer.TransformerBench [pre|post depth width heads T batch vocab rounds steps act]</pre>
 * Defaults: pre 4 64 4 32 32 16 20 5 relu (the bench shape; ffn 4, layer norm, residual, float32; relu as
 * PyTorch's nn.TransformerEncoderLayer).
 */
public final class TransformerBench {
    private TransformerBench() {}

    public static void main(String[] args) {
        Placement place = Placement.valueOf(arg(args, 0, "pre").toUpperCase(java.util.Locale.ROOT));
        int depth = Integer.parseInt(arg(args, 1, "4")),
                width = Integer.parseInt(arg(args, 2, "64")),
                heads = Integer.parseInt(arg(args, 3, "4")),
                t = Integer.parseInt(arg(args, 4, "32")),
                batch = Integer.parseInt(arg(args, 5, "32")),
                vocab = Integer.parseInt(arg(args, 6, "16")),
                rounds = Integer.parseInt(arg(args, 7, "20")),
                steps = Integer.parseInt(arg(args, 8, "5"));
        Activation act = Activation.parse(arg(args, 9, "relu"));
        TransformerSpec spec = new TransformerSpec(
                vocab,
                t,
                width,
                heads,
                4,
                depth,
                Activation.GELU,
                Init.parse("xavier"),
                Norm.LAYER,
                place,
                Skip.RESIDUAL,
                Positions.LEARNED,
                false,
                TrainSpec.DType.FLOAT32,
                1);
        TrainingMemory memory = TrainingMemory.forBackend();
        TransformerNet net = new TransformerNet(spec, batch, memory);
        Random rng = new Random(1);
        int[] tok = new int[batch * t], tgt = new int[batch * t];
        for (int i = 0; i < tok.length; i++) tgt[i] = tok[i] = rng.nextInt(vocab);
        Step step = new Step(net, memory);
        double[][] wall = new double[2][rounds], cpu = new double[2][rounds];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int r = -3; r < rounds; r++) { // three warm-up rounds
            for (int v = 0; v < 2; v++) {
                long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                for (int s = 0; s < steps; s++) {
                    net.setBatch(tok, tgt);
                    step.run(v == 1);
                }
                if (r < 0) continue;
                wall[v][r] = (System.nanoTime() - w0) / 1e6 / steps;
                cpu[v][r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / steps;
            }
        }
        System.out.printf(
                "%s-LN %d blocks, d %d, %d heads, ffn 4 %s, T %d, batch %d, vocab %d, float32, %d parameters, %s"
                        + " memory, OMP_NUM_THREADS=%s%n",
                place.key,
                depth,
                width,
                heads,
                act.key,
                t,
                batch,
                vocab,
                net.params().length(),
                memory.name(),
                System.getenv("OMP_NUM_THREADS"));
        report("wall", wall);
        report("thread CPU", cpu);
    }

    private static void report(String what, double[][] ms) {
        double[] ratio = new double[ms[0].length];
        for (int i = 0; i < ratio.length; i++) ratio[i] = ms[1][i] / ms[0][i] - 1;
        System.out.printf(
                "%s: bare %.2f ms/step, with statistics %.2f ms/step (medians), overhead median %+.1f %% (quartiles"
                        + " %+.1f … %+.1f %%)%n",
                what,
                quantile(ms[0], 0.5),
                quantile(ms[1], 0.5),
                100 * quantile(ratio, 0.5),
                100 * quantile(ratio, 0.25),
                100 * quantile(ratio, 0.75));
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double at = q * (s.length - 1);
        int lo = (int) Math.floor(at), hi = (int) Math.ceil(at);
        return s[lo] + (s[hi] - s[lo]) * (at - lo);
    }

    private static String arg(String[] a, int i, String def) {
        return a.length > i ? a[i] : def;
    }

    /** One SGD step as a trainer takes it: the gradient's statistics (or only its norm), then p ← p − lr·g. */
    static final class Step {
        private final TransformerNet net;
        private final TrainingMemory memory;
        private final Segment[] segs;
        private final double[] total = new double[1];

        Step(TransformerNet net, TrainingMemory memory) {
            this.net = net;
            this.memory = memory;
            this.segs = net.segments();
        }

        double run(boolean stats) {
            double loss = net.computeGradient(stats);
            INDArray g = net.gradient();
            if (stats) {
                ParamStats[] ps = new ParamStats[segs.length];
                for (int i = 0; i < ps.length; i++) ps[i] = new ParamStats();
                memory.gradient(g, net.params(), segs, 1, ps);
                g.muli(1e-3);
                memory.update(g, segs, ps);
                memory.sync();
                net.taps();
                net.attention();
            } else {
                memory.sumSq(g, total, 0);
                memory.sync();
                g.muli(1e-3);
            }
            net.params().subi(g);
            return loss;
        }
    }
}
