package dev.gradsweep.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine question of the issue, measured: the bench transformer (pre-LN, residual, relu, learned positions,
 * bidirectional) as one SameDiff graph, a bare step = one {@code calculateGradients} (forward and backward) and an
 * in-place SGD axpy per parameter, the way {@code bench.SameDiffMlp} steps. Thread CPU and wall ms per step, medians.
 * <pre>java -cp … dev.gradsweep.bench.SameDiffTransformerBench [depth width heads T batch vocab steps]</pre>
 */
public final class SameDiffTransformerBench {
    private SameDiffTransformerBench() {}

    public static void main(String[] args) {
        int depth = arg(args, 0, 4),
                d = arg(args, 1, 64),
                h = arg(args, 2, 4),
                t = arg(args, 3, 32),
                batch = arg(args, 4, 32);
        int vocab = arg(args, 5, 16), steps = arg(args, 6, 100), rows = batch * t, hs = d / h;
        DataType dt = DataType.FLOAT;
        Nd4j.getRandom().setSeed(1);
        SameDiff sd = SameDiff.create();
        List<String> params = new ArrayList<>();
        SDVariable oh = sd.placeHolder("oh", dt, rows, vocab + t), yw = sd.placeHolder("yw", dt, rows, vocab);
        SDVariable x = sd.mmul(oh, weight(sd, params, "emb", vocab + t, d));
        for (int l = 0; l < depth; l++) {
            SDVariable u = norm(sd, params, x, "ln1_" + l, d);
            SDVariable[] qkv = new SDVariable[3];
            for (int k = 0; k < 3; k++) {
                SDVariable p = sd.mmul(u, weight(sd, params, "qkv" + k + "_" + l, d, d), false, true, false);
                qkv[k] = sd.permute(sd.reshape(p, batch, t, h, hs), 0, 2, 1, 3);
            }
            SDVariable s = sd.mmul(qkv[0], qkv[1], false, true, false).mul(1 / Math.sqrt(hs));
            SDVariable ctx = sd.reshape(sd.permute(sd.mmul(sd.nn().softmax(s, 3), qkv[2]), 0, 2, 1, 3), rows, d);
            x = x.add(sd.mmul(ctx, weight(sd, params, "wo_" + l, d, d), false, true, false));
            u = norm(sd, params, x, "ln2_" + l, d);
            SDVariable hid = sd.nn()
                    .relu(
                            sd.mmul(u, weight(sd, params, "w1_" + l, 4 * d, d), false, true, false)
                                    .add(bias(sd, params, "b1_" + l, 4 * d)),
                            0);
            x = x.add(sd.mmul(hid, weight(sd, params, "w2_" + l, d, 4 * d), false, true, false)
                    .add(bias(sd, params, "b2_" + l, d)));
        }
        SDVariable logits = sd.mmul(
                        norm(sd, params, x, "lnf", d), weight(sd, params, "head", vocab, d), false, true, false)
                .add(bias(sd, params, "bh", vocab));
        sd.math().neg(sd.sum(yw.mul(sd.nn().logSoftmax(logits)))).markAsLoss();

        Random rng = new Random(1);
        double[] o = new double[rows * (vocab + t)], y = new double[rows * vocab];
        for (int r = 0; r < rows; r++) {
            int tok = rng.nextInt(vocab);
            o[r * (vocab + t) + tok] = 1;
            o[r * (vocab + t) + vocab + r % t] = 1;
            y[r * vocab + tok] = 1.0 / rows;
        }
        Map<String, INDArray> feed = new HashMap<>();
        feed.put("oh", Nd4j.createFromArray(o).reshape(rows, vocab + t).castTo(dt));
        feed.put("yw", Nd4j.createFromArray(y).reshape(rows, vocab).castTo(dt));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] cpu = new double[steps], wall = new double[steps];
        for (int i = -10; i < steps; i++) {
            long w0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
            Map<String, INDArray> g = sd.calculateGradients(feed, params);
            for (String p : params) sd.getArrForVarName(p).subi(g.get(p).muli(1e-3));
            if (i < 0) continue;
            wall[i] = (System.nanoTime() - w0) / 1e6;
            cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
        }
        Arrays.sort(cpu);
        Arrays.sort(wall);
        System.out.printf(
                "SameDiff pre-LN %d blocks, d %d, %d heads, ffn 4 relu, T %d, batch %d, vocab %d, float32,"
                        + " OMP_NUM_THREADS=%s: bare step thread CPU %.2f ms, wall %.2f ms (medians of %d)%n",
                depth, d, h, t, batch, vocab, System.getenv("OMP_NUM_THREADS"), cpu[steps / 2], wall[steps / 2], steps);
    }

    private static SDVariable weight(SameDiff sd, List<String> params, String name, long out, long in) {
        params.add(name);
        return sd.var(name, Nd4j.randn(DataType.FLOAT, out, in).muli(Math.sqrt(2.0 / (out + in))));
    }

    private static SDVariable bias(SameDiff sd, List<String> params, String name, long n) {
        params.add(name);
        return sd.var(name, Nd4j.zeros(DataType.FLOAT, n));
    }

    private static SDVariable norm(SameDiff sd, List<String> params, SDVariable x, String name, long d) {
        params.add(name + "_g");
        params.add(name + "_b");
        SDVariable g = sd.var(name + "_g", Nd4j.ones(DataType.FLOAT, d)),
                b = sd.var(name + "_b", Nd4j.zeros(DataType.FLOAT, d));
        return sd.nn().layerNorm(x, g, b, false, 1);
    }

    private static int arg(String[] a, int i, int def) {
        return a.length > i ? Integer.parseInt(a[i]) : def;
    }
}
