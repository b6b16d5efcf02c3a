package dev.gradsweep.conv;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The conv tests' tiny nets: 2 stages, depth 2, width 4, 2 × 6 × 6 inputs, 3 classes, batch 3. */
final class ConvNetFixtures {
    static final int BATCH = 3, C = 2, H = 6, W = 6, CLASSES = 3;

    private ConvNetFixtures() {}

    static ConvSpec spec(Norm norm, Skip skip, Placement placement, Activation fn, TrainSpec.DType dtype) {
        return spec(norm, skip, placement, fn, dtype, 4, H);
    }

    /** The same net of another first-stage width on side × side inputs. */
    static ConvSpec spec(
            Norm norm, Skip skip, Placement placement, Activation fn, TrainSpec.DType dtype, int width, int side) {
        return new ConvSpec(
                C, side, side, CLASSES, width, 2, 2, 2, fn, Init.parse("he"), norm, placement, skip, dtype, 7);
    }

    /** Normal features [B, C·H·W] and one-hot labels of a fixed seed. */
    static INDArray[] batch(DataType dt, long seed) {
        return batch(dt, seed, H);
    }

    /** The same on side × side inputs. */
    static INDArray[] batch(DataType dt, long seed, int side) {
        Random r = new Random(seed);
        double[] x = new double[BATCH * C * side * side], y = new double[BATCH * CLASSES];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int b = 0; b < BATCH; b++) y[b * CLASSES + r.nextInt(CLASSES)] = 1;
        return new INDArray[] {
            Nd4j.create(x, new long[] {BATCH, C * side * side}, 'c').castTo(dt),
            Nd4j.create(y, new long[] {BATCH, CLASSES}, 'c').castTo(dt)
        };
    }

    /** Moves every parameter off its init by N(0, σ²) noise (ReZero's α and Fixup's zeros included), seeded. */
    static void jitter(ConvNet net, double sigma, long seed) {
        Random r = new Random(seed);
        INDArray p = net.params();
        double[] v = p.toDoubleVector();
        for (int i = 0; i < v.length; i++) v[i] += sigma * r.nextGaussian();
        p.assign(Nd4j.create(v, p.shape(), 'c').castTo(p.dataType()));
    }
}
