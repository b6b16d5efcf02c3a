package dev.gradsweep.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Both memory paths' ReLU passes against DL4J's own ReLU (and ND4J's broadcast add for the bias), bit for bit, on
 * seeded [K, batch, units] arrays sprinkled with ±0, NaN, ±Inf and subnormals, in float32 and float64: units not a
 * multiple of any vector width, and buffers longer than one host block.
 */
class ReluPassTest {
    private static final int[][] SHAPES = {{3, 5, 37}, {2, 64, 100}, {1, 1, 1}};

    static double special(Random r, boolean f32) {
        switch (r.nextInt(16)) {
            case 0:
                return 0.0;
            case 1:
                return -0.0;
            case 2:
                return Double.NaN;
            case 3:
                return Double.POSITIVE_INFINITY;
            case 4:
                return Double.NEGATIVE_INFINITY;
            case 5:
                return (f32 ? Float.MIN_VALUE : Double.MIN_VALUE) * (1 + r.nextInt(1000));
            case 6:
                return -(f32 ? Float.MIN_VALUE : Double.MIN_VALUE) * (1 + r.nextInt(1000));
            default:
                return r.nextGaussian();
        }
    }

    static INDArray random(Random r, DataType dt, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        if (dt == DataType.FLOAT) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) special(r, true);
            return Nd4j.createFromArray(v).reshape('c', shape);
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = special(r, false);
        return Nd4j.createFromArray(v).reshape('c', shape);
    }

    /** Raw bits of every element, so −0 differs from +0 and NaN payloads count. */
    static long[] bits(INDArray a) {
        long[] out = new long[(int) a.length()];
        INDArray c = a.dup('c'); // read in bulk: an element read through ND4J costs microseconds
        if (a.dataType() == DataType.FLOAT) {
            float[] v = c.data().asFloat();
            for (int i = 0; i < out.length; i++) out[i] = Float.floatToRawIntBits(v[i]);
        } else {
            double[] v = c.data().asDouble();
            for (int i = 0; i < out.length; i++) out[i] = Double.doubleToRawLongBits(v[i]);
        }
        return out;
    }

    /** The value whose raw bits {@link #bits} gave, as a double. */
    static double value(INDArray a, long bits) {
        return a.dataType() == DataType.FLOAT ? Float.intBitsToFloat((int) bits) : Double.longBitsToDouble(bits);
    }

    static void assertBits(INDArray expected, INDArray actual, String what) {
        long[] e = bits(expected), a = bits(actual);
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++)
            if (e[i] != a[i])
                assertEquals(
                        e[i],
                        a[i],
                        what + " at " + i + ": expected " + value(expected, e[i]) + ", got " + value(actual, a[i]));
    }

    @Test
    void biasReluEqualsDl4jBitForBit() {
        Random r = new Random(20261201);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (TrainingMemory m : new TrainingMemory[] {TrainingMemory.hostDirect(), TrainingMemory.portable()})
                    for (boolean bias : new boolean[] {true, false}) {
                        INDArray z = random(r, dt, s[0], s[1], s[2]);
                        // the per-run rows as the stack holds them: a [K, units] view of a [K, 1, units] parameter
                        INDArray rows = bias ? random(r, dt, s[0], 1, s[2]).reshape('c', s[0], s[2]) : null;
                        INDArray zWant = z.dup();
                        if (bias) Nd4j.exec(new BroadcastAddOp(zWant, rows, zWant, 0, 2));
                        INDArray aWant = new ActivationReLU().getActivation(zWant.dup(), true);
                        INDArray a = Nd4j.create(dt, s[0], s[1], s[2]);
                        m.biasRelu(z, rows, a);
                        String what = m.name() + " " + dt + " " + s[0] + "x" + s[1] + "x" + s[2] + " bias " + bias;
                        assertBits(zWant, z, what + ": z");
                        assertBits(aWant, a, what + ": a");
                    }
    }

    /** Without rows, any shape: a conv layer's [B·H·W, C] output (longer than one host block, C not a lane multiple). */
    @Test
    void reluAloneOnTwoDimensionalArraysEqualsDl4jBitForBit() {
        Random r = new Random(8);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (TrainingMemory m : new TrainingMemory[] {TrainingMemory.hostDirect(), TrainingMemory.portable()}) {
                INDArray z = random(r, dt, 700, 13), zKept = z.dup(), a = Nd4j.create(dt, 700, 13);
                INDArray want = new ActivationReLU().getActivation(z.dup(), true);
                m.biasRelu(z, null, a);
                assertBits(want, a, m.name() + " " + dt + ": a");
                assertBits(zKept, z, m.name() + " " + dt + ": z unchanged");
            }
    }

    @Test
    void reluBackpropEqualsDl4jBitForBit() {
        Random r = new Random(7);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (int[] s : SHAPES)
                for (TrainingMemory m : new TrainingMemory[] {TrainingMemory.hostDirect(), TrainingMemory.portable()})
                    for (boolean inPlace : new boolean[] {true, false}) {
                        INDArray z = random(r, dt, s[0], s[1], s[2]), dy = random(r, dt, s[0], s[1], s[2]);
                        INDArray zKept = z.dup(), dyKept = dy.dup();
                        INDArray want =
                                new ActivationReLU().backprop(z.dup(), dy.dup()).getFirst();
                        INDArray into = inPlace ? z : Nd4j.create(dt, s[0], s[1], s[2]);
                        INDArray got = m.reluBackprop(z, dy, into);
                        String what =
                                m.name() + " " + dt + " " + s[0] + "x" + s[1] + "x" + s[2] + " in place " + inPlace;
                        assertBits(want, got, what);
                        assertBits(dyKept, dy, what + ": dy unchanged");
                        if (m.name().equals("host-direct")) assertSame(into, got, what + ": written into the buffer");
                        if (!inPlace) assertBits(zKept, z, what + ": z unchanged");
                    }
    }
}
