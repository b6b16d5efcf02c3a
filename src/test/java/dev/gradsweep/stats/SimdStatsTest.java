package dev.gradsweep.stats;

import static dev.gradsweep.stats.StatsMergeTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.simd.Simd;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Seeded property tests: the SIMD loops give the scalar loops' statistics on float32 data (counts and maxima exactly,
 * sums to summation-order rounding), including exact zeros, underflowing magnitudes, NaN and Inf.
 */
class SimdStatsTest {
    @Test
    void simdLoopsAreOnInTheTestJvm() {
        // The build passes --add-modules jdk.incubator.vector to tests and tools; without it every test below would
        // compare the scalar loops with themselves.
        assertTrue(Simd.ENABLED, Simd.describe());
    }

    /** Float32 values down to the subnormal range, a tenth exact zeros, sometimes a NaN or an Inf. */
    static float[] sample(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double scale = Math.pow(10, -44 + 50 * r.nextDouble());
            a[i] = r.nextInt(10) == 0 ? 0f : (float) (scale * r.nextGaussian());
        }
        if (n > 3 && r.nextInt(3) == 0) a[r.nextInt(n)] = r.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY;
        return a;
    }

    /** The same array, read through the scalar loops (it hides that it holds float32). */
    static HostArray scalarView(HostArray h) {
        return new HostArray(h.length, h.rows, h.columnMajor) {
            @Override
            public double get(int i) {
                return h.get(i);
            }

            @Override
            public void read(int from, int len, double[] dst) {
                h.read(from, len, dst);
            }
        };
    }

    @RepeatedTest(30)
    void gradientStatsMatchScalar(RepetitionInfo info) {
        Random r = StatsMergeTest.seeded(500 + info.getCurrentRepetition());
        int n = 1 + r.nextInt(3 * HostArray.BLOCK); // several blocks, any remainder
        HostArray g = HostArray.of(Nd4j.createFromArray(sample(r, n)));
        HostArray p = HostArray.of(Nd4j.createFromArray(sample(r, n)));
        assertTrue(g.isFloat());
        int from = r.nextInt(n), to = from + 1 + r.nextInt(n - from);
        ParamStats simd = new ParamStats(), scalar = new ParamStats();
        simd.setGradient(g, p, from, to, 1.0 / 32);
        scalar.setGradient(scalarView(g), scalarView(p), from, to, 1.0 / 32);
        simd.addUpdate(p, from, to);
        scalar.addUpdate(scalarView(p), from, to);
        StatsMergeTest.assertSameStats(scalar, simd);
    }

    @Test
    void squaresOfTinyFloatsDoNotUnderflow() {
        float[] g = new float[1000];
        java.util.Arrays.fill(g, 1e-30f); // (1e-30)^2 = 1e-60 is zero in float32
        ParamStats s = new ParamStats();
        HostArray h = HostArray.of(Nd4j.createFromArray(g));
        s.setGradient(h, h, 0, g.length, 1.0);
        double v = 1e-30f;
        assertTrue((float) (v * v) == 0f);
        assertEquals(1000 * v * v, s.sumSq, 1e-12 * 1000 * v * v);
        assertEquals(0, s.zeros);
    }

    @Test
    void valuesOnTheBandEdgeAndNaNCountAsSaturated() {
        // |a - mid| < half is unsaturated: a = ±half is saturated, as is NaN. 40 values so every lane width sees
        // full vectors and a scalar tail.
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = i % 4 == 0 ? 1f : i % 4 == 1 ? -1f : i % 4 == 2 ? 0.5f : 0f;
        x[39] = Float.NaN;
        double[] acc = new double[Simd.A_SLOTS];
        HostArray h = HostArray.of(Nd4j.createFromArray(x));
        long zeros = Simd.activations(h.floats(0), x.length, new Simd.Form(0, 1, true, Simd.SLOPE_NONE, 0, 0, 0), acc);
        assertEquals(10 + 10 + 1, acc[Simd.A_SATURATED], 0.0); // ten 1s, ten -1s, the NaN
        assertEquals(9, zeros); // the tenth zero slot holds the NaN
    }

    static double apply(Activation act, double z) {
        switch (act) {
            case SIGMOID:
                return 1 / (1 + Math.exp(-z));
            case TANH:
                return Math.tanh(z);
            case RELU:
                return Math.max(0, z);
            case LEAKYRELU:
                return z > 0 ? z : 0.01 * z;
            case SOFTSIGN:
                return z / (1 + Math.abs(z));
            case HARDTANH:
                return Math.max(-1, Math.min(1, z));
            case ELU:
                return z > 0 ? z : Math.expm1(z);
            default:
                return z;
        }
    }

    @RepeatedTest(40)
    void activationStatsMatchScalar(RepetitionInfo info) {
        Random r = StatsMergeTest.seeded(90 + info.getCurrentRepetition());
        Activation[] acts = {
            Activation.SIGMOID,
            Activation.TANH,
            Activation.RELU,
            Activation.LEAKYRELU,
            Activation.IDENTITY,
            Activation.SOFTSIGN,
            Activation.HARDTANH,
            Activation.ELU
        };
        Activation act = acts[info.getCurrentRepetition() % acts.length]; // every one, SIMD and scalar slopes
        int rows = 1 + r.nextInt(200), units = 1 + r.nextInt(300);
        float[] a = new float[rows * units];
        for (int i = 0; i < a.length; i++) {
            double z = 4 * r.nextGaussian();
            a[i] = (float) (r.nextInt(4) == 0 ? 0 : apply(act, z));
        }
        // a few dead units (some of them −0, which is zero too), values exactly on a saturation bound, sometimes a NaN
        for (int u = 0; u < units; u += 1 + r.nextInt(5)) {
            float zero = r.nextInt(3) == 0 ? -0f : 0f;
            for (int i = 0; i < rows; i++) a[i * units + u] = zero;
        }
        // units alive in only the first or only the last row of the range read
        int from = r.nextInt(rows), to = from + 1 + r.nextInt(rows - from);
        for (int edge : new int[] {from, to - 1}) {
            int u = r.nextInt(units);
            for (int i = 0; i < rows; i++) a[i * units + u] = i == edge ? 0.5f : 0f;
        }
        double[] bounds = act.unsaturatedOutputs(ActStats.SATURATION_THRESHOLD);
        if (Double.isFinite(bounds[0])) a[r.nextInt(a.length)] = (float) bounds[0];
        if (r.nextInt(4) == 0) a[r.nextInt(a.length)] = Float.NaN;
        char order = r.nextBoolean() ? 'c' : 'f';
        INDArray arr = Nd4j.createFromArray(a).reshape(rows, units).dup(order);
        assertEquals(DataType.FLOAT, arr.dataType());
        HostArray h = HostArray.of(arr);
        boolean sat = act.hasSaturation();
        ActStats simd = new ActStats(units, sat), scalar = new ActStats(units, sat);
        simd.add(h, from, to, act);
        scalar.add(scalarView(h), from, to, act);
        assertEquals(scalar.count, simd.count);
        assertEquals(scalar.zeros, simd.zeros);
        assertEquals(scalar.saturated, simd.saturated, act.name());
        assertEquals(scalar.deadFrac(), simd.deadFrac(), 0.0);
        assertClose(scalar.sumSq, simd.sumSq);
        if (Double.isNaN(scalar.sum)) assertTrue(Double.isNaN(simd.sum));
        else assertEquals(scalar.sum, simd.sum, 1e-12 * (scalar.sumSq + rows * units));
        if (Double.isNaN(scalar.slopeSqSum)) assertEquals(scalar.slopeSqSum, simd.slopeSqSum, 0.0);
        else assertEquals(scalar.slopeSqSum, simd.slopeSqSum, 1e-12 * scalar.count);
    }
}
