import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Issue #29's engine question: can the JDK's Vector API run a 3x3 convolution at oneDNN's rate? A direct convolution,
 * forward only, NHWC with a zero border (x is [B, H+2, W+2, ci], w [3, 3, ci, co], co a multiple of 16), stride 1:
 * per 4 output pixels and 16 output channels, one loop over the 9·ci taps of 16-lane FMAs with broadcast inputs.
 * The taps are one flat loop over an offset table on purpose: with the accumulators carried through nested dy/dx/c
 * loops, JDK 17's C2 did not keep them in registers and the same arithmetic ran at 3-4 GFLOP/s instead of 60.
 * Not part of the build:  java --add-modules jdk.incubator.vector bench/simd/DirectConv.java C H   (docs/conv-engine.md)
 */
public class DirectConv {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

    static void conv(float[] x, float[] w, float[] out, int B, int H, int W, int ci, int co) {
        int Wp = W + 2, K = 9 * ci;
        int[] off = new int[K];
        for (int dy = 0; dy < 3; dy++) for (int dx = 0; dx < 3; dx++) for (int c = 0; c < ci; c++)
            off[(dy * 3 + dx) * ci + c] = (dy * Wp + dx) * ci + c;
        for (int b = 0; b < B; b++)
            for (int y = 0; y < H; y++)
                for (int px = 0; px < W; px += 4)
                    for (int o = 0; o < co; o += 16) {
                        int i0 = ((b * (H + 2) + y) * Wp + px) * ci;
                        kernel(x, w, out, off, i0, ci, co, o, ((b * H + y) * W + px) * co + o, K);
                    }
    }

    static void kernel(float[] x, float[] w, float[] out, int[] off, int i0, int ci, int co, int o, int ob, int K) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < K; k++) {
            FloatVector wv = FloatVector.fromArray(S, w, k * co + o);
            int xi = i0 + off[k];
            a0 = wv.fma(FloatVector.broadcast(S, x[xi]), a0);
            a1 = wv.fma(FloatVector.broadcast(S, x[xi + ci]), a1);
            a2 = wv.fma(FloatVector.broadcast(S, x[xi + 2 * ci]), a2);
            a3 = wv.fma(FloatVector.broadcast(S, x[xi + 3 * ci]), a3);
        }
        a0.intoArray(out, ob);
        a1.intoArray(out, ob + co);
        a2.intoArray(out, ob + 2 * co);
        a3.intoArray(out, ob + 3 * co);
    }

    public static void main(String[] a) {
        int c = Integer.parseInt(a[0]), hw = Integer.parseInt(a[1]), B = 32;
        java.util.Random r = new java.util.Random(1);
        float[] x = new float[B * (hw + 2) * (hw + 2) * c], w = new float[9 * c * c], out = new float[B * hw * hw * c];
        for (int b = 0; b < B; b++) for (int y = 1; y <= hw; y++) for (int xx = 1; xx <= hw; xx++) for (int i = 0; i < c; i++)
            x[((b * (hw + 2) + y) * (hw + 2) + xx) * c + i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        var bean0 = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < 6; rep++) {
            long t0 = bean0.getCurrentThreadCpuTime();
            for (int i = 0; i < 50; i++) conv(x, w, out, B, hw, hw, c, c);
            double ms = (bean0.getCurrentThreadCpuTime() - t0) / 1e6 / 50;
            System.out.printf("  warm %d: %.2f ms, %.1f GFLOP/s%n", rep, ms, 2.0 * B * hw * hw * c * 9 * c / ms / 1e6);
        }
        int b = 3, y = 0, px = 2, o = 7;
        double ref = 0;
        for (int dy = 0; dy < 3; dy++) for (int dx = 0; dx < 3; dx++)
            for (int ci = 0; ci < c; ci++) ref += x[((b * (hw + 2) + y + dy) * (hw + 2) + px + dx) * c + ci] * w[(dy * 3 + dx) * c * c + ci * c + o];
        System.out.println("check " + ref + " vs " + out[((b * hw + y) * hw + px) * c + o]);
        var bean = ManagementFactory.getThreadMXBean();
        long c0 = bean.getCurrentThreadCpuTime();
        int n = 200;
        for (int i = 0; i < n; i++) conv(x, w, out, B, hw, hw, c, c);
        double ms = (bean.getCurrentThreadCpuTime() - c0) / 1e6 / n;
        System.out.printf("vector conv %d ch %dx%d: %.2f ms, %.1f GFLOP/s%n", c, hw, hw, ms, 2.0 * B * hw * hw * c * 9 * c / ms / 1e6);
    }
}
