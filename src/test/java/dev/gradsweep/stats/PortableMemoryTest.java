package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The portable reductions on crafted float32 buffers: values whose float32 squares underflow (1e-25, subnormal
 * 1e-40), exact ±0, NaN and ±Inf, over segments of repeating and odd lengths with gaps between them (batch norm's
 * running statistics), against plain double loops written here and against the host-direct path.
 */
class PortableMemoryTest {
    static float value(Random r) {
        switch (r.nextInt(12)) {
            case 0:
                return 0f;
            case 1:
                return -0f;
            case 2:
                return 1e-25f * (float) r.nextGaussian();
            case 3:
                return 1e-40f; // subnormal
            case 4:
                return r.nextInt(40) == 0 ? Float.NaN : 1f;
            case 5:
                return r.nextInt(40) == 0 ? Float.NEGATIVE_INFINITY : -2f;
            default:
                return (float) r.nextGaussian();
        }
    }

    /** Segments: a repeating pattern (arithmetic offsets), odd lengths and gaps, in no particular order. */
    static Segment[] segments(int n) {
        List<Segment> s = new ArrayList<>();
        int at = 0, k = 0;
        while (at + 40 < n) {
            int len = k % 3 == 0 ? 24 : k % 3 == 1 ? 5 : 1 + k % 7;
            s.add(new Segment(k, "l" + k, "W", at, len, true));
            at += len + (k % 4 == 0 ? 3 : 0); // gaps of non-gradient elements
            k++;
        }
        java.util.Collections.reverse(s);
        return s.toArray(new Segment[0]);
    }

    @Test
    void gradientStatisticsMatchPlainDoubleLoopsAndTheHostPath() {
        Random r = new Random(5);
        int n = 3000;
        float[] g = new float[n], p = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = value(r);
            p[i] = (float) r.nextGaussian();
        }
        Segment[] segs = segments(n);
        INDArray ga = Nd4j.createFromArray(g).reshape(1, n),
                pa = Nd4j.createFromArray(p).reshape(1, n);
        double scale = 1.0 / 16;
        ParamStats[] portable = fresh(segs.length), host = fresh(segs.length);
        TrainingMemory pm = TrainingMemory.portable();
        pm.gradient(ga, pa, segs, scale, portable);
        pm.sync();
        TrainingMemory.hostDirect().gradient(ga, pa, segs, scale, host);
        boolean sawTiny = false, sawBad = false;
        for (int i = 0; i < segs.length; i++) {
            Segment s = segs[i];
            double s2 = 0, sa = 0, sum = 0, mx = 0, p2 = 0;
            long zeros = 0, bad = 0;
            for (int j = s.offset; j < s.offset + s.length; j++) {
                double v = g[j];
                s2 += v * v;
                sa += Math.abs(v);
                sum += v;
                if (Math.abs(v) > mx) mx = Math.abs(v);
                if (v == 0) zeros++;
                if (!Double.isFinite(v)) bad++;
                p2 += (double) p[j] * p[j];
                sawTiny |= v != 0 && Math.abs(v) < 1e-22 && (float) (g[j] * g[j]) == 0f;
            }
            sawBad |= bad > 0;
            String where = "segment " + i + " [" + s.offset + ", +" + s.length + ")";
            for (ParamStats x : new ParamStats[] {portable[i], host[i]}) {
                assertEquals(s.length, x.count, where);
                assertEquals(zeros, x.zeros, where + " zeros");
                assertEquals(bad, x.nonfinite, where + " non-finite");
                close(s2 * scale * scale, x.sumSq, where + " sumSq");
                close(sa * scale, x.sumAbs, where + " sumAbs");
                if (Double.isFinite(sa)) assertEquals(sum * scale, x.sum, 1e-12 * sa * scale, where + " sum");
                assertEquals(mx * scale, x.maxAbs, 0.0, where + " maxAbs");
                close(p2, x.paramSumSq, where + " paramSumSq");
            }
        }
        assertTrue(sawTiny && sawBad, "the test needs values whose float32 squares underflow, and non-finite ones");
        double[] pq = new double[segs.length], hq = new double[segs.length];
        pm.sumSq(pa, segs, pq);
        pm.sync();
        TrainingMemory.hostDirect().sumSq(pa, segs, hq);
        for (int i = 0; i < segs.length; i++) close(hq[i], pq[i], "Σp² of segment " + i);
    }

    /**
     * Norm clipping by run, laid out as a stack (per layer: every run's W, then every run's b): run 0 is clipped, run 1
     * holds an infinite gradient (factor 0, as on the host), run 2 a NaN (factor 1: it diverges anyway, and its NaN must
     * not reach the other runs' factors), run 3 is not clipped at all; against plain loops and the host path, with no
     * transfer before the step's sync.
     */
    @Test
    void clipByNormScalesEachRunByItsOwnNorm() {
        int k = 4, in = 5, out = 3;
        Segment[][] run = new Segment[k][4];
        int n = 0;
        for (int l = 0; l < 2; l++) {
            for (int r = 0; r < k; r++) run[r][2 * l] = new Segment(l, "d" + l, "W", n + r * in * out, in * out, true);
            n += k * in * out;
            for (int r = 0; r < k; r++) run[r][2 * l + 1] = new Segment(l, "d" + l, "b", n + r * out, out, true);
            n += k * out;
        }
        Segment[] all = new Segment[4 * k];
        for (int r = 0; r < k; r++) System.arraycopy(run[r], 0, all, 4 * r, 4);
        Random rnd = new Random(11);
        double[] g = new double[n];
        for (int i = 0; i < n; i++) g[i] = rnd.nextGaussian();
        g[run[1][1].offset + 2] = Double.POSITIVE_INFINITY;
        g[run[2][3].offset] = Double.NaN;
        Segment[][] sets = {run[0], run[1], run[2]};
        double[] bound = {0.05, 0.05, 0.05};
        double scale = 1.0 / 8;
        for (org.nd4j.linalg.api.buffer.DataType dt :
                List.of(org.nd4j.linalg.api.buffer.DataType.DOUBLE, org.nd4j.linalg.api.buffer.DataType.FLOAT)) {
            boolean f32 = dt == org.nd4j.linalg.api.buffer.DataType.FLOAT;
            double[] want = g.clone();
            if (f32) for (int i = 0; i < n; i++) want[i] = (float) want[i];
            double[] stored = want.clone();
            for (int j = 0; j < sets.length; j++) {
                double sq = 0;
                for (Segment s : sets[j])
                    for (int i = s.offset; i < s.offset + s.length; i++) sq += stored[i] * scale * stored[i] * scale;
                double norm = Math.sqrt(sq), f = norm > bound[j] ? bound[j] / norm : 1;
                if (j == 0) assertTrue(f < 1, "the first run's norm must exceed its bound: " + norm);
                for (Segment s : sets[j])
                    for (int i = s.offset; i < s.offset + s.length; i++)
                        want[i] = f32 ? (float) stored[i] * (float) f : stored[i] * f;
            }
            for (TrainingMemory m : List.of(TrainingMemory.hostDirect(), TrainingMemory.portable())) {
                INDArray ga = Nd4j.createFromArray(stored).castTo(dt);
                m.gradient(ga, null, all, scale, fresh(all.length));
                m.clipByNorm(ga, sets, bound);
                assertEquals(0, m.transfers(), m.name() + ": the norms need not reach the host");
                m.sync();
                double[] got = ga.toDoubleVector();
                // each path sums a norm's squares in its own order (relative error ≤ n·2^-53 on the factor); a float32
                // factor rounds the same way unless it lies that close to a rounding boundary: then one ulp
                for (int i = 0; i < n; i++)
                    assertEquals(
                            want[i],
                            got[i],
                            !Double.isFinite(want[i])
                                    ? 0.0
                                    : f32 ? Math.ulp((float) want[i]) : 1e-12 * Math.abs(want[i]),
                            m.name() + " " + dt + " element " + i);
            }
        }
    }

    static ParamStats[] fresh(int n) {
        ParamStats[] s = new ParamStats[n];
        for (int i = 0; i < n; i++) s[i] = new ParamStats();
        return s;
    }

    static void close(double expected, double actual, String where) {
        if (Double.isNaN(expected) || Double.isInfinite(expected)) {
            assertEquals(expected, actual, where);
            return;
        }
        assertEquals(expected, actual, 1e-12 * Math.abs(expected), where);
    }
}
