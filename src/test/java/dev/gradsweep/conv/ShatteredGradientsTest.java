package dev.gradsweep.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.TrainingMemory;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Balduzzi et al. 2017, shattered gradients: at init, ∂L/∂x at neighbouring inputs on a line through input space
 * decorrelates with depth much faster in plain nets than in ResNets. One float64 batch per net: B points
 * x_k = x_0 + k·step·v (1 × 8 × 8 images, one label), the mean cosine between ∂L/∂x_k and ∂L/∂x_{k+1}. Layer norm
 * (per sample: the batch's gradients stay those of single inputs).
 */
class ShatteredGradientsTest {
    static final int B = 32, SIDE = 8, CLASSES = 10;

    static ConvNet net(Skip skip, int depth, Norm norm, Activation fn, long seed) {
        ConvSpec spec = new ConvSpec(
                1,
                SIDE,
                SIDE,
                CLASSES,
                8,
                2,
                depth,
                1,
                fn,
                Init.parse("he"),
                norm,
                Placement.POST,
                skip,
                TrainSpec.DType.FLOAT64,
                seed);
        ConvNet n = new ConvNet(spec, B, TrainingMemory.forBackend());
        n.keepInputGradient();
        return n;
    }

    /** Features [B, 64] on a line, and one label for all. */
    static INDArray[] line(double step, long seed) {
        Random r = new Random(seed);
        int d = SIDE * SIDE;
        double[] x0 = new double[d], v = new double[d], x = new double[B * d], y = new double[B * CLASSES];
        double norm = 0;
        for (int i = 0; i < d; i++) {
            x0[i] = r.nextGaussian();
            v[i] = r.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int k = 0; k < B; k++) {
            for (int i = 0; i < d; i++) x[k * d + i] = x0[i] + k * step * v[i] / Math.sqrt(norm / d);
            y[k * CLASSES] = 1;
        }
        return new INDArray[] {Nd4j.create(x, new long[] {B, d}, 'c'), Nd4j.create(y, new long[] {B, CLASSES}, 'c')};
    }

    /** Mean cosine of neighbouring points' input gradients. */
    static double neighbourCosine(ConvNet n, double step, long seed) {
        INDArray[] b = line(step, seed);
        n.setBatch(b[0], b[1]);
        n.computeGradient();
        double[] g = n.inputGradient().toDoubleVector(); // C = 1: row (k·8 + i)·8 + j is x_k's pixel (i, j)
        int d = SIDE * SIDE;
        double sum = 0;
        for (int k = 0; k + 1 < B; k++) {
            double dot = 0, a = 0, c = 0;
            for (int i = 0; i < d; i++) {
                dot += g[k * d + i] * g[(k + 1) * d + i];
                a += g[k * d + i] * g[k * d + i];
                c += g[(k + 1) * d + i] * g[(k + 1) * d + i];
            }
            sum += dot / Math.sqrt(a * c);
        }
        return sum / (B - 1);
    }

    /**
     * The input gradient is right: ⟨∂L/∂x, u⟩ against the central difference of the loss along a random direction u
     * of the whole batch's input (tanh, so no kink lies between the two points), plain and residual, with and without
     * layer norm. Bound 1e-7 + 1e-5·|g|, as ConvFiniteDifferenceTest's.
     */
    @Test
    void inputGradientMatchesCentralDifferences() {
        for (Skip skip : new Skip[] {Skip.NONE, Skip.RESIDUAL})
            for (Norm norm : new Norm[] {Norm.NONE, Norm.LAYER}) {
                ConvNet n = net(skip, 2, norm, Activation.TANH, 5);
                INDArray[] b = line(0.05, 9);
                INDArray u = Nd4j.rand(DataType.DOUBLE, b[0].shape()).subi(0.5);
                n.setBatch(b[0], b[1]);
                n.computeGradient();
                // C = 1: the NHWC rows of ∂L/∂x are the features' columns in order
                double g = n.inputGradient()
                        .reshape(b[0].shape())
                        .mul(u)
                        .sumNumber()
                        .doubleValue();
                double h = 1e-5;
                n.setBatch(b[0].add(u.mul(h)), b[1]);
                double up = n.loss();
                n.setBatch(b[0].sub(u.mul(h)), b[1]);
                double fd = (up - n.loss()) / (2 * h);
                assertTrue(Math.abs(g) > 1e-6, "a gradient to check: " + g);
                assertEquals(fd, g, 1e-7 + 1e-5 * Math.abs(g), skip + " " + norm);
            }
    }

    /**
     * At init, from 4 to 32 conv layers the neighbouring inputs' gradient cosine of the plain net falls more than 3×
     * as far as the ResNet's of the same conv depths (measured, seeds 1–3: plain 0.935 → 0.372, ResNet 0.953 →
     * 0.857, a fall of 0.56 against 0.10), and at 32 conv layers the plain net's is below the ResNet's by 3 standard
     * errors over the seeds. Step 0.05 of the input's per-pixel scale, layer norm, he init, ReLU.
     */
    @Test
    void balduzzi2017PlainNetsShatterTheirGradientsWithDepthResNetsMuchLess() {
        double[][] c = new double[4][3]; // plain 4, plain 32, ResNet 4, ResNet 32 conv layers × seeds 1–3
        for (int seed = 1; seed <= 3; seed++) {
            c[0][seed - 1] = neighbourCosine(net(Skip.NONE, 4, Norm.LAYER, Activation.RELU, seed), 0.05, seed);
            c[1][seed - 1] = neighbourCosine(net(Skip.NONE, 32, Norm.LAYER, Activation.RELU, seed), 0.05, seed);
            c[2][seed - 1] = neighbourCosine(net(Skip.RESIDUAL, 2, Norm.LAYER, Activation.RELU, seed), 0.05, seed);
            c[3][seed - 1] = neighbourCosine(net(Skip.RESIDUAL, 16, Norm.LAYER, Activation.RELU, seed), 0.05, seed);
        }
        String all = java.util.Arrays.deepToString(c);
        double plainFall = mean(c[0]) - mean(c[1]), resFall = mean(c[2]) - mean(c[3]);
        assertTrue(resFall > 0 && plainFall > 3 * resFall, "falls " + plainFall + " vs " + resFall + ": " + all);
        double se = Math.sqrt(var(c[1]) / 3 + var(c[3]) / 3);
        assertTrue(mean(c[3]) - mean(c[1]) > 3 * se, "32 conv layers, ResNet above plain by 3 SE " + se + ": " + all);
    }

    static double mean(double[] v) {
        return java.util.Arrays.stream(v).average().orElseThrow();
    }

    static double var(double[] v) {
        double m = mean(v);
        return java.util.Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1);
    }
}
