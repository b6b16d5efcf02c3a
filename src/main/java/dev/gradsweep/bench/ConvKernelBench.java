package dev.gradsweep.bench;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.conv.kernel.VectorConv;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The convolution kernels' share of a training step on issue #29's bench net (a ResNet of 3 stages × 3 basic blocks,
 * 16/32/64 channels, 3 × 16 × 16 inputs, batch 32; docs/conv-engine.md): every convolution of the net (the stem, 18
 * 3 × 3 convs, 2 stride-2 1 × 1 projections) forward, weight gradient and input gradient (the stem's input gradient
 * is not needed), thread-CPU ms per step, median of rounds. Only the convolutions: norms, activations, pooling, the
 * head and the statistics are not in it.
 *   java --add-modules jdk.incubator.vector -cp "target/gradsweep-*.jar:target/lib/*" dev.gradsweep.bench.ConvKernelBench [rounds]
 */
public final class ConvKernelBench {
    private ConvKernelBench() {}

    /** Warm-up rounds: C2 compiles the Winograd paths late (with 3, the backward median read 21 ms instead of 12). */
    private static final int WARMUP = 30;

    /** The bench net's convolutions, in forward order. */
    static List<ConvShape> benchNet() {
        List<ConvShape> l = new ArrayList<>();
        int batch = 32, side = 16, in = 3;
        l.add(new ConvShape(batch, side, side, in, 16, 3, 1));
        in = 16;
        for (int c : new int[] {16, 32, 64})
            for (int b = 0; b < 3; b++) {
                int stride = c > in ? 2 : 1;
                if (stride == 2) l.add(new ConvShape(batch, side, side, in, c, 1, 2)); // projection
                l.add(new ConvShape(batch, side, side, in, c, 3, stride));
                side /= stride;
                l.add(new ConvShape(batch, side, side, c, c, 3, 1));
                in = c;
            }
        return l;
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<ConvShape> net = benchNet();
        Random r = new Random(1);
        int n = net.size();
        float[][] x = new float[n][], xp = new float[n][], w = new float[n][], y = new float[n][], dw = new float[n][];
        float[][] dx = new float[n][], d = new float[n][], wt = new float[n][];
        for (int i = 0; i < n; i++) {
            ConvShape s = net.get(i), t = VectorConv.transposed(s);
            x[i] = fill(s.inputSize(), r);
            xp[i] = new float[s.paddedSize()];
            w[i] = fill(s.weightSize(), r);
            y[i] = new float[s.outputSize()];
            dw[i] = new float[s.weightSize()];
            dx[i] = new float[s.inputSize()];
            d[i] = new float[VectorConv.scratchSize(s)];
            wt[i] = new float[t.weightSize()];
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] fwd = new double[rounds], bwd = new double[rounds];
        for (int round = -WARMUP; round < rounds; round++) {
            long c0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                VectorConv.pad(net.get(i), x[i], xp[i]);
                VectorConv.forward(net.get(i), xp[i], w[i], y[i]);
            }
            long c1 = mx.getCurrentThreadCpuTime();
            for (int i = n - 1; i >= 0; i--) {
                VectorConv.weightGrad(net.get(i), xp[i], y[i], dw[i]); // y stands in for the output gradient
                if (i > 0) VectorConv.inputGrad(net.get(i), y[i], w[i], dx[i], d[i], wt[i]);
            }
            long c2 = mx.getCurrentThreadCpuTime();
            if (round >= 0) {
                fwd[round] = (c1 - c0) / 1e6;
                bwd[round] = (c2 - c1) / 1e6;
            }
        }
        java.util.Arrays.sort(fwd);
        java.util.Arrays.sort(bwd);
        System.out.printf(
                "bench ResNet's %d convolutions, batch 32, %d float lanes: forward %.2f ms, backward %.2f ms"
                        + " (weight + input gradients), thread CPU, median of %d rounds%n",
                n, VectorConv.lanes(), fwd[rounds / 2], bwd[rounds / 2], rounds);
    }

    private static float[] fill(int n, Random r) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
