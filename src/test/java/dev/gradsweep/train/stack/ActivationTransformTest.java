package dev.gradsweep.train.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.TransformOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Ctx#transform}, the ND4J op a stacked layer runs from z into a instead of DL4J's activation on a copy of z,
 * gives DL4J's own activation bit for bit (float32 and float64, with ±0, NaN, ±Inf and subnormals), leaves z as it
 * was, and is null for every activation it does not cover (those keep DL4J's function).
 */
class ActivationTransformTest {
    @Test
    void transformEqualsDl4jActivation() {
        Random r = new Random(17);
        int covered = 0;
        for (Activation act : Activation.values()) {
            if (act == Activation.IDENTITY) continue;
            IActivation fn = NetworkFactory.activation(act).getActivationFunction();
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                INDArray z = random(r, dt, 3, 37, 41), a = Nd4j.create(dt, 3, 37, 41);
                TransformOp op = Ctx.transform(act, z, a);
                if (op == null) continue;
                INDArray zKept = z.dup(), want = fn.getActivation(z.dup(), true);
                Nd4j.exec(op);
                bitsEqual(want, a, act + " " + dt);
                bitsEqual(zKept, z, act + " " + dt + ": z unchanged");
                covered++;
            }
        }
        assertEquals(2 * 3, covered, "sigmoid, tanh and gelu run as one transform");
    }

    private static INDArray random(Random r, DataType dt, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++)
            switch (r.nextInt(12)) {
                case 0 -> v[i] = 0.0;
                case 1 -> v[i] = -0.0;
                case 2 -> v[i] = Double.NaN;
                case 3 -> v[i] = r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                case 4 -> v[i] = (dt == DataType.FLOAT ? Float.MIN_VALUE : Double.MIN_VALUE) * (r.nextInt(1000) - 500);
                default -> v[i] = r.nextGaussian() * Math.exp(2 * r.nextGaussian());
            }
        return Nd4j.createFromArray(v).castTo(dt).reshape('c', shape);
    }

    /** Raw bits equal (−0 is not +0), a NaN meeting a NaN; read in bulk. */
    private static void bitsEqual(INDArray want, INDArray got, String what) {
        double[] w = want.dup('c').castTo(DataType.DOUBLE).data().asDouble(),
                g = got.dup('c').castTo(DataType.DOUBLE).data().asDouble(); // float32 widens exactly
        for (int i = 0; i < w.length; i++) {
            if (Double.isNaN(w[i]) && Double.isNaN(g[i])) continue;
            assertEquals(
                    Double.doubleToRawLongBits(w[i]),
                    Double.doubleToRawLongBits(g[i]),
                    what + " at " + i + ": expected " + w[i] + ", got " + g[i]);
        }
    }
}
