package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Both memory paths' dense-layer passes against the ND4J and DL4J ops they replace, bit for bit (a NaN must meet a
 * NaN, as in {@link StackedPassTest}), float32 and float64: the batched matmul in the three forms a dense layer uses
 * (x·W, xᵀ·δ, δ·Wᵀ, and both transposed) against ND4J's {@code Nd4j.matmul}, with the weights a view inside a flat
 * buffer as the stack holds them and the result written nowhere else; the bias add against ND4J's broadcast add; the
 * residual add against ND4J's add; and the sigmoid and tanh backprops from the forward's output against DL4J's own
 * backprop from z. Shapes: the 50 × 10 net's, widths not a multiple of any vector width, one of one, and a buffer
 * longer than one host block.
 */
class DensePassTest {
    /** {K, batch, in, out}. */
    private static final int[][] SHAPES = {{32, 32, 10, 10}, {3, 7, 37, 5}, {1, 1, 1, 1}, {2, 128, 64, 33}};

    private static final TrainingMemory[] PATHS = {TrainingMemory.hostDirect(), TrainingMemory.portable()};

    @Test
    void matmulEqualsNd4jBitForBit() {
        Random r = new Random(20261201);
        int checked = 0;
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (boolean specials : new boolean[] {false, true})
                    for (boolean ta : new boolean[] {false, true})
                        for (boolean tb : new boolean[] {false, true})
                            for (TrainingMemory m : PATHS) {
                                int k = s[0], batch = s[1], in = s[2], out = s[3];
                                INDArray a = ta
                                        ? StackedPassTest.random(r, dt, specials, k, in, batch)
                                        : StackedPassTest.random(r, dt, specials, k, batch, in);
                                // the weights as the stack's parameter views: [K, in, out] at an offset of a flat
                                // buffer
                                INDArray flatB = Nd4j.create(dt, (long) k * in * out + 3);
                                INDArray b = view(flatB, 3, k, tb ? out : in, tb ? in : out);
                                b.assign(StackedPassTest.random(r, dt, false, k, tb ? out : in, tb ? in : out));
                                INDArray aKept = a.dup(), bKept = b.dup();
                                INDArray want = Nd4j.create(dt, k, batch, out);
                                Nd4j.matmul(a, b, want, ta, tb, false);
                                INDArray flatC = Nd4j.create(dt, (long) k * batch * out + 2)
                                        .assign(Double.NaN);
                                INDArray c = view(flatC, 1, k, batch, out);
                                m.matmul(a, b, c, ta, tb);
                                String what =
                                        m.name() + " " + dt + " " + java.util.Arrays.toString(s) + (ta ? " aᵀ" : " a")
                                                + (tb ? "·bᵀ" : "·b") + (specials ? " with specials" : "");
                                StackedPassTest.assertSameValues(want, c, what);
                                ReluPassTest.assertBits(aKept, a, what + ": a unchanged");
                                ReluPassTest.assertBits(bKept, b, what + ": b unchanged");
                                assertEquals(Double.NaN, flatC.getDouble(0), what + ": nothing written before");
                                assertEquals(Double.NaN, flatC.getDouble(1 + k * batch * out), what + ": nor after");
                                checked++;
                            }
        assertEquals(2 * SHAPES.length * 2 * 4 * PATHS.length, checked);
    }

    @Test
    void addRowsEqualsBroadcastAddBitForBit() {
        Random r = new Random(3);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (TrainingMemory m : PATHS) {
                    int k = s[0], batch = s[1], n = s[3];
                    INDArray z = ReluPassTest.random(r, dt, k, batch, n);
                    INDArray flat = Nd4j.create(dt, (long) k * n + 1);
                    INDArray rows = view(flat, 1, k, 1, n).reshape('c', k, n); // as Ctx.perRun gives a bias
                    rows.assign(ReluPassTest.random(r, dt, k, n));
                    INDArray want = z.dup(), rowsKept = rows.dup();
                    Nd4j.exec(new BroadcastAddOp(want, rows, want, 0, 2));
                    m.addRows(z, rows);
                    String what = m.name() + " " + dt + " " + k + "x" + batch + "x" + n;
                    StackedPassTest.assertSameValues(want, z, what);
                    ReluPassTest.assertBits(rowsKept, rows, what + ": rows unchanged");
                }
    }

    /** A residual sum and its backward's sum: out separate, or written over either operand. */
    @Test
    void addEqualsNd4jBitForBit() {
        Random r = new Random(9);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (TrainingMemory m : PATHS)
                    for (int into = 0; into < 3; into++) {
                        INDArray a = ReluPassTest.random(r, dt, s[0], s[1], s[3]),
                                b = ReluPassTest.random(r, dt, s[0], s[1], s[3]);
                        INDArray want = a.add(b), aKept = a.dup(), bKept = b.dup();
                        INDArray out = into == 0 ? Nd4j.create(dt, s[0], s[1], s[3]) : into == 1 ? a : b;
                        m.add(a, b, out);
                        String what = m.name() + " " + dt + " " + java.util.Arrays.toString(s) + " into "
                                + (into == 0 ? "out" : into == 1 ? "a" : "b");
                        StackedPassTest.assertSameValues(want, out, what);
                        if (into != 1) ReluPassTest.assertBits(aKept, a, what + ": a unchanged");
                        if (into != 2) ReluPassTest.assertBits(bKept, b, what + ": b unchanged");
                    }
    }

    @Test
    void backpropFromOutputEqualsDl4jBitForBit() {
        Random r = new Random(5);
        int checked = 0;
        for (Activation act : Activation.values()) {
            if (!TrainingMemory.backpropsFromOutput(act)) continue;
            IActivation fn = NetworkFactory.activation(act).getActivationFunction();
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
                for (int[] s : SHAPES)
                    for (boolean specials : new boolean[] {false, true})
                        for (TrainingMemory m : PATHS)
                            for (boolean inPlace : new boolean[] {true, false}) {
                                int k = s[0], batch = s[1], n = s[2];
                                INDArray z = specials
                                        ? ReluPassTest.random(r, dt, k, batch, n)
                                        : StackedPassTest.random(r, dt, false, k, batch, n);
                                INDArray dy = specials
                                        ? ReluPassTest.random(r, dt, k, batch, n)
                                        : StackedPassTest.random(r, dt, false, k, batch, n);
                                INDArray a = fn.getActivation(z.dup(), true);
                                INDArray want = fn.backprop(z.dup(), dy.dup()).getFirst();
                                INDArray zKept = z.dup(), aKept = a.dup(), dyKept = dy.dup();
                                INDArray into = inPlace ? z : Nd4j.create(dt, k, batch, n);
                                INDArray got = m.backpropFromOutput(act, z, a, dy, into);
                                String what = act + " " + m.name() + " " + dt + " " + k + "x" + batch + "x" + n
                                        + (specials ? " with specials" : "") + (inPlace ? " into z" : "");
                                StackedPassTest.assertSameValues(want, got, what);
                                assertSame(into, got, what + ": written into the buffer");
                                ReluPassTest.assertBits(aKept, a, what + ": a unchanged");
                                ReluPassTest.assertBits(dyKept, dy, what + ": dy unchanged");
                                if (!inPlace) ReluPassTest.assertBits(zKept, z, what + ": z unchanged");
                                checked++;
                            }
        }
        assertEquals(2 * 2 * SHAPES.length * 2 * PATHS.length * 2, checked);
    }

    /** A [k, rows, cols] row-major view of flat[off, off + k·rows·cols), as StackLayout makes its views. */
    static INDArray view(INDArray flat, long off, int k, int rows, int cols) {
        return Nd4j.create(flat.data(), new long[] {k, rows, cols}, new long[] {(long) rows * cols, cols, 1}, off, 'c');
    }
}
