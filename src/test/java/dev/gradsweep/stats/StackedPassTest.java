package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.gradsweep.model.LayerNorm;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The host path's passes of the stacked engine's layer norm and batch sums against the ND4J ops the portable path runs
 * (LayerNorm's own, in its order; ND4J's reduction over the batch), on seeded [K, batch, n] arrays, float32 and
 * float64: every output (x̂, 1/σ, y, dγ, dβ, ∂L/∂x, a bias gradient) bit for bit. Exact,
 * not within a tolerance, because the host pass performs the same IEEE operations in the same order (row means as
 * sequential sums, batch sums row by row), and because the stacked engine's two paths must train on identical arrays
 * ({@code PortablePathTest} requires equal losses). NaN is the one exception: a NaN's sign and payload come from
 * which operand the hardware propagates, which neither path fixes and no statistic reads, so a NaN must meet a NaN.
 * Shapes: n not a multiple of any vector width, batches not a multiple of the host pass's row groups, one row of one.
 */
class StackedPassTest {
    private static final int[][] SHAPES = {{3, 5, 37}, {2, 8, 6}, {2, 7, 256}, {1, 1, 1}, {4, 3, 17}};

    /** Values of very different magnitudes (the rounding of every sum matters), and with specials: ±0, subnormals, NaN, ±Inf. */
    static INDArray random(Random r, DataType dt, boolean specials, long... shape) {
        INDArray a = ReluPassTest.random(r, dt, shape);
        if (specials) return a;
        int n = (int) a.length();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * Math.exp(2 * r.nextGaussian()) + (i % 3 == 0 ? 3 : 0);
        return (dt == DataType.FLOAT ? Nd4j.createFromArray(v).castTo(DataType.FLOAT) : Nd4j.createFromArray(v))
                .reshape('c', shape);
    }

    /** Whether the raw bits of {@link ReluPassTest#bits} are a NaN. */
    static boolean isNaN(long bits, boolean f32) {
        return f32 ? Float.isNaN(Float.intBitsToFloat((int) bits)) : Double.isNaN(Double.longBitsToDouble(bits));
    }

    static void assertSameValues(INDArray expected, INDArray actual, String what) {
        long[] e = ReluPassTest.bits(expected), a = ReluPassTest.bits(actual);
        assertEquals(e.length, a.length, what);
        INDArray ef = expected.reshape(e.length), af = actual.reshape(a.length);
        boolean f32 = expected.dataType() == DataType.FLOAT;
        for (int i = 0; i < e.length; i++) {
            if (isNaN(e[i], f32) && isNaN(a[i], f32)) continue;
            // the message is built only for a failing element: eagerly, it cost most of the test's time
            int at = i;
            assertEquals(
                    e[i],
                    a[i],
                    () -> what + " at " + at + ": expected " + ef.getDouble(at) + ", got " + af.getDouble(at));
        }
    }

    @Test
    void hostPassesEqualNd4jOps() {
        Random r = new Random(20261201);
        TrainingMemory host = TrainingMemory.hostDirect();
        int checked = 0;
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (boolean specials : new boolean[] {false, true}) {
                    int k = s[0], batch = s[1], n = s[2];
                    INDArray x = random(r, dt, specials, k, batch, n), dy = random(r, dt, specials, k, batch, n);
                    INDArray gamma = random(r, dt, false, k, n), beta = random(r, dt, false, k, n);
                    // the gradient views as the stack holds them: [K, 1, n] inside a larger flat buffer
                    INDArray flat = Nd4j.create(dt, 2L * k * n + 3).assign(Double.NaN);
                    INDArray dGamma = view(flat, 1, k, n), dBeta = view(flat, 2 + k * n, k, n);
                    INDArray wantDGamma = Nd4j.create(dt, k, 1, n), wantDBeta = Nd4j.create(dt, k, 1, n);
                    TrainingMemory.LayerNormBuffers want = new TrainingMemory.LayerNormBuffers(dt, k, batch, n),
                            got = new TrainingMemory.LayerNormBuffers(dt, k, batch, n);
                    INDArray xKept = x.dup(), dyKept = dy.dup();
                    PortableMemory.layerNormForwardOps(x, gamma, beta, LayerNorm.EPS, want);
                    INDArray wantDx = PortableMemory.layerNormBackwardOps(dy, gamma, wantDGamma, wantDBeta, want);
                    host.layerNormForward(x, gamma, beta, LayerNorm.EPS, got);
                    INDArray dx = host.layerNormBackward(dy, gamma, dGamma, dBeta, got);
                    String what = dt + " " + k + "x" + batch + "x" + n + (specials ? " with specials" : "");
                    assertSameValues(want.xhat, got.xhat, what + ": x̂");
                    assertSameValues(want.inv, got.inv, what + ": 1/σ");
                    assertSameValues(want.y, got.y, what + ": y");
                    assertSameValues(wantDGamma, dGamma, what + ": dγ");
                    assertSameValues(wantDBeta, dBeta, what + ": dβ");
                    assertSameValues(wantDx, dx, what + ": ∂L/∂x");
                    assertSame(got.dx, dx, what + ": written into the buffer");
                    ReluPassTest.assertBits(xKept, x, what + ": x unchanged");
                    ReluPassTest.assertBits(dyKept, dy, what + ": dy unchanged");
                    assertEquals(Double.NaN, flat.getDouble(0), what + ": nothing written before dγ");
                    assertEquals(Double.NaN, flat.getDouble(1 + k * n), what + ": nothing written between");
                    assertEquals(Double.NaN, flat.getDouble(2 + 2 * k * n), what + ": nothing written after dβ");
                    checked++;
                }
        assertEquals(2 * SHAPES.length * 2, checked);
    }

    /** A dense layer's bias gradient: the host batch sum against ND4J's reduction over the batch, both paths. */
    @Test
    void batchSumsEqualNd4j() {
        Random r = new Random(11);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (boolean specials : new boolean[] {false, true})
                    for (TrainingMemory m :
                            new TrainingMemory[] {TrainingMemory.hostDirect(), TrainingMemory.portable()}) {
                        int k = s[0], batch = s[1], n = s[2];
                        INDArray d = random(r, dt, specials, k, batch, n), dKept = d.dup();
                        INDArray want = Nd4j.create(dt, k, 1, n);
                        PortableMemory.batchSum(d, want);
                        INDArray flat = Nd4j.create(dt, (long) k * n + 2).assign(Double.NaN);
                        INDArray into = view(flat, 1, k, n);
                        m.sumOverBatch(d, into);
                        String what = m.name() + " " + dt + " " + k + "x" + batch + "x" + n
                                + (specials ? " with specials" : "");
                        assertSameValues(want, into, what);
                        ReluPassTest.assertBits(dKept, d, what + ": d unchanged");
                        assertEquals(Double.NaN, flat.getDouble(0), what + ": nothing written before");
                        assertEquals(Double.NaN, flat.getDouble(1 + k * n), what + ": nothing written after");
                    }
    }

    /** A [k, 1, n] row-major view of flat[off, off + k·n), as StackLayout makes its gradient views. */
    static INDArray view(INDArray flat, long off, int k, int n) {
        return Nd4j.create(flat.data(), new long[] {k, 1, n}, new long[] {n, n, 1}, off, 'c');
    }
}
