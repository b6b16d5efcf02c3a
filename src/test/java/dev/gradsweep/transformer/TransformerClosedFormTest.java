package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Positions;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.transformer.TransformerNet.HeadStats;
import dev.gradsweep.transformer.TransformerNet.Tap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Closed forms and independent recomputations of the statistics, float64. */
class TransformerClosedFormTest {
    static final int D = TransformerFixtures.WIDTH;

    /**
     * α = 0: every block is the identity (pre placement or no norm; under post placement the block's norm still
     * acts), so the stream and δ are the same at every tap, and only the α receive a gradient.
     */
    @Test
    void reZeroAtInitializationIsEmbeddingNormHead() {
        for (Norm n : new Norm[] {Norm.LAYER, Norm.RMS, Norm.NONE}) {
            TransformerNet net =
                    TransformerFixtures.net(TransformerFixtures.spec(Skip.REZERO, n, Placement.PRE, true), 2);
            TransformerFixtures.randomBatch(net, 3);
            net.computeGradient(true);
            for (int tap = 1; tap < net.tapCount(); tap++) {
                assertArrayEquals(net.stream(0), net.stream(tap), 0, "stream at tap " + tap);
                assertArrayEquals(net.streamGradient(0), net.streamGradient(tap), 0, "delta at tap " + tap);
            }
            double[] g = net.gradient().toDoubleVector();
            for (Segment s : net.segments()) {
                if (s.layer < 0 || s.layer >= TransformerFixtures.DEPTH) continue;
                double sq = 0;
                for (int i = s.offset; i < s.offset + s.length; i++) sq += g[i] * g[i];
                if (s.param.equals("alpha")) assertTrue(sq > 1e-12, s.layerName + " α learns");
                else assertEquals(0, sq, 0, s.layerName + "." + s.param + " gets no gradient through α = 0");
            }
        }
    }

    @Test
    void deepNormConstantsAndScaledInitialization() {
        TransformerSpec deep = TransformerFixtures.spec(Skip.DEEPNORM, Norm.LAYER, Placement.POST, false);
        assertEquals(Math.pow(2 * TransformerFixtures.DEPTH, 0.25), deep.streamGain(), 1e-15);
        TransformerSpec d18 = new TransformerSpec(
                5,
                4,
                8,
                2,
                2,
                18,
                deep.activation(),
                deep.init(),
                Norm.LAYER,
                Placement.POST,
                Skip.DEEPNORM,
                Positions.LEARNED,
                false,
                deep.dtype(),
                1);
        assertEquals(Math.sqrt(6), d18.streamGain(), 1e-15, "α = (2·18)^¼ = √6");
        assertEquals(1 / Math.sqrt(12), d18.initGain(), 1e-15, "β = (8·18)^−¼ = 1/√12");
        TransformerNet dn = TransformerFixtures.net(deep, 2);
        TransformerNet res =
                TransformerFixtures.net(TransformerFixtures.spec(Skip.RESIDUAL, Norm.LAYER, Placement.POST, false), 2);
        double beta = deep.initGain();
        for (String name : new String[] {"attn.q", "attn.k", "attn.v", "attn.o", "ffn.fc1", "ffn.fc2"}) {
            INDArray a = TransformerFixtures.array(dn, "block1." + name, "W"),
                    b = TransformerFixtures.array(res, "block1." + name, "W");
            double f = name.endsWith("q") || name.endsWith("k") ? 1 : beta;
            assertEquals(0, a.sub(b.mul(f)).amaxNumber().doubleValue(), 1e-15, name + " scaled by " + f);
        }
    }

    /** With a zero head every position predicts uniformly: the mean loss over the targeted positions is ln V. */
    @Test
    void lossIsTheMeanOverTargetedPositions() {
        TransformerNet net =
                TransformerFixtures.net(TransformerFixtures.spec(Skip.RESIDUAL, Norm.LAYER, Placement.PRE, false), 2);
        TransformerFixtures.perturb(net, 0.3, 5);
        TransformerFixtures.array(net, "head", "W").assign(0);
        TransformerFixtures.array(net, "head", "b").assign(0);
        TransformerFixtures.randomBatch(net, 3);
        assertEquals(Math.log(TransformerFixtures.VOCAB), net.loss(), 1e-14);
    }

    /** δ is of the batch mean: a batch of one sequence twice has the same loss and parameter gradient as one. */
    @Test
    void gradientsAreOfTheMeanLoss() {
        TransformerSpec s = TransformerFixtures.spec(Skip.RESIDUAL, Norm.RMS, Placement.POST, true);
        TransformerNet one = TransformerFixtures.net(s, 1), two = TransformerFixtures.net(s, 2);
        int[] tok = {1, 4, 2, 0}, tgt = {4, 2, 0, -1};
        one.setBatch(tok, tgt);
        two.setBatch(new int[] {1, 4, 2, 0, 1, 4, 2, 0}, new int[] {4, 2, 0, -1, 4, 2, 0, -1});
        assertEquals(one.computeGradient(false), two.computeGradient(false), 1e-14);
        assertArrayEquals(one.gradient().toDoubleVector(), two.gradient().toDoubleVector(), 1e-13);
    }

    /**
     * The portable path (ND4J ops and one bulk transfer, what CUDA runs; DL4J's activation derivatives) gives the host
     * path's numbers (the seam's own ReLU and tanh passes), for each way the FFN's derivative is taken.
     */
    @ParameterizedTest
    @EnumSource(
            value = Activation.class,
            names = {"TANH", "RELU", "GELU"})
    void portableAndHostDirectMemoryAgree(Activation act) {
        TransformerSpec t = TransformerFixtures.spec(Skip.REZERO, Norm.LAYER, Placement.POST, true);
        TransformerSpec s = new TransformerSpec(
                t.vocab(),
                t.context(),
                t.width(),
                t.heads(),
                t.ffn(),
                t.depth(),
                act,
                t.init(),
                t.norm(),
                t.placement(),
                t.skip(),
                t.positions(),
                t.causal(),
                t.dtype(),
                t.seed());
        TransformerNet host = new TransformerNet(s, 2, dev.gradsweep.stats.TrainingMemory.hostDirect());
        TransformerNet portable = new TransformerNet(s, 2, dev.gradsweep.stats.TrainingMemory.portable());
        for (TransformerNet net : List.of(host, portable)) {
            TransformerFixtures.perturb(net, 0.3, 5);
            TransformerFixtures.randomBatch(net, 3);
        }
        assertEquals(host.computeGradient(true), portable.computeGradient(true), 1e-14);
        assertArrayEquals(host.gradient().toDoubleVector(), portable.gradient().toDoubleVector(), 1e-14);
        // the same numbers up to the summation order of the reductions
        for (int i = 0; i < host.tapCount(); i++) {
            Tap a = host.taps().get(i), b = portable.taps().get(i);
            assertEquals(a.name(), b.name());
            assertEquals(a.rms(), b.rms(), 1e-14);
            assertEquals(a.deltaL2(), b.deltaL2(), 1e-14);
        }
        for (int i = 0; i < host.attention().size(); i++) {
            HeadStats a = host.attention().get(i), b = portable.attention().get(i);
            assertEquals(a.entropyMean(), b.entropyMean(), 1e-14);
            assertEquals(a.entropyMin(), b.entropyMin(), 1e-14);
            assertEquals(a.maxLogit(), b.maxLogit(), 1e-14);
            assertEquals(a.tokenCosine(), b.tokenCosine(), 1e-14);
        }
    }

    /** float32, the training dtype, runs the same code: its gradient per array is float64's to float32 precision. */
    @Test
    void float32MatchesFloat64() {
        TransformerSpec s64 = TransformerFixtures.spec(Skip.RESIDUAL, Norm.LAYER, Placement.PRE, true);
        TransformerSpec s32 = new TransformerSpec(
                s64.vocab(),
                s64.context(),
                s64.width(),
                s64.heads(),
                s64.ffn(),
                s64.depth(),
                s64.activation(),
                s64.init(),
                s64.norm(),
                s64.placement(),
                s64.skip(),
                s64.positions(),
                s64.causal(),
                dev.gradsweep.grid.TrainSpec.DType.FLOAT32,
                s64.seed());
        TransformerNet n64 = TransformerFixtures.net(s64, 2), n32 = TransformerFixtures.net(s32, 2);
        TransformerFixtures.perturb(n64, 0.3, 5);
        n64.params().assign(n64.params().castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT)); // float32-exact values
        n32.params().assign(n64.params());
        TransformerFixtures.randomBatch(n64, 3);
        TransformerFixtures.randomBatch(n32, 3);
        assertEquals(n64.computeGradient(true), n32.computeGradient(true), 1e-5);
        double[] g64 = n64.gradient().toDoubleVector(), g32 = n32.gradient().toDoubleVector();
        for (Segment seg : n64.segments()) {
            double err = 0, norm = 0;
            for (int i = seg.offset; i < seg.offset + seg.length; i++) {
                err += (g64[i] - g32[i]) * (g64[i] - g32[i]);
                norm += g64[i] * g64[i];
            }
            // float32 rounds each op to 6e-8 relative; a few hundred ops on the path: ≤ 1e-4 of the array's norm
            assertTrue(
                    Math.sqrt(err) <= 1e-4 * Math.sqrt(norm),
                    seg.layerName + "." + seg.param + ": " + Math.sqrt(err / norm));
        }
        for (int i = 0; i < n64.tapCount(); i++)
            assertEquals(1, n32.taps().get(i).deltaL2() / n64.taps().get(i).deltaL2(), 1e-4, "tap " + i);
    }

    /** Bad combinations name what is wrong. */
    @Test
    void badSpecsAreRefusedWithTheReason() {
        TransformerSpec ok = TransformerFixtures.spec(Skip.RESIDUAL, Norm.LAYER, Placement.PRE, false);
        java.util.function.Function<Runnable, String> message =
                r -> org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run)
                        .getMessage();
        Object[][] bad = {
            {10, 4, Skip.RESIDUAL, Norm.LAYER, Placement.PRE, Positions.LEARNED, "not divisible by heads"},
            {8, 2, Skip.DEEPNORM, Norm.LAYER, Placement.PRE, Positions.LEARNED, "deepnorm"},
            {8, 2, Skip.DEEPNORM, Norm.NONE, Placement.POST, Positions.LEARNED, "deepnorm"},
            {9, 3, Skip.RESIDUAL, Norm.LAYER, Placement.PRE, Positions.SINUSOIDAL, "even width"},
            // the grid's values no transformer takes (RunRules refuses them in a grid, naming the key)
            {8, 2, Skip.RESIDUAL, Norm.BATCH, Placement.PRE, Positions.LEARNED, "norm batch"},
            {8, 2, Skip.HIGHWAY, Norm.LAYER, Placement.PRE, Positions.LEARNED, "skip highway"},
            {8, 2, Skip.RESIDUAL, Norm.LAYER, Placement.NA, Positions.LEARNED, "placement"}
        };
        for (Object[] b : bad)
            assertTrue(
                    message.apply(() -> TransformerFixtures.spec(
                                    5,
                                    4,
                                    (int) b[0],
                                    (int) b[1],
                                    2,
                                    (Skip) b[2],
                                    (Norm) b[3],
                                    (Placement) b[4],
                                    (Positions) b[5],
                                    false,
                                    ok.dtype()))
                            .contains((String) b[6]),
                    java.util.Arrays.toString(b));
        TransformerNet net = TransformerFixtures.net(ok, 1);
        assertTrue(message.apply(() -> net.setBatch(new int[] {0, 1, 5, 2}, new int[] {1, 1, 1, 1}))
                .contains("token"));
        assertTrue(message.apply(() -> net.setBatch(new int[] {0, 1, 2, 3}, new int[] {-1, -1, -1, -1}))
                .contains("without targets"));
    }

    /**
     * The wrappers' forward formulas, with block 0's attention output F = 0 (W_o = 0): the stream after it is x
     * (residual, pre), LN(x) (residual, post), LN(a·x) with DeepNorm's a = 2^¼ (which differs from LN(x) through ε
     * only, ≈ 1e-6 here, far above the 1e-12 tolerance), and 0 without a skip (pre: F alone; post: LN(0) = β = 0).
     */
    @Test
    void wrappersComputeTheirFormulas() {
        Object[][] cases = {
            {Skip.RESIDUAL, Placement.PRE, 0.0},
            {Skip.RESIDUAL, Placement.POST, 1.0},
            {Skip.DEEPNORM, Placement.POST, Math.pow(2 * TransformerFixtures.DEPTH, 0.25)},
            {Skip.NONE, Placement.PRE, -1.0},
            {Skip.NONE, Placement.POST, -1.0}
        };
        for (Object[] c : cases) {
            TransformerNet net = TransformerFixtures.net(
                    TransformerFixtures.spec((Skip) c[0], Norm.LAYER, (Placement) c[1], false), 2);
            TransformerFixtures.array(net, "block0.attn.o", "W").assign(0);
            TransformerFixtures.randomBatch(net, 3);
            net.loss();
            double[] x = net.stream(0), y = net.stream(1), expected = new double[x.length];
            double a = (double) c[2];
            if (a == 0) expected = x; // pre residual: x + F(LN(x)) = x
            else if (a > 0) // post: LN(a·x), γ = 1, β = 0 at initialization
            for (int r = 0; r < x.length / D; r++) {
                    double mean = 0, var = 0;
                    for (int k = 0; k < D; k++) mean += a * x[r * D + k] / D;
                    for (int k = 0; k < D; k++) var += Math.pow(a * x[r * D + k] - mean, 2) / D;
                    for (int k = 0; k < D; k++)
                        expected[r * D + k] = (a * x[r * D + k] - mean) / Math.sqrt(var + RowNorm.EPS);
                }
            assertArrayEquals(expected, y, 1e-12, c[0] + " " + c[1]);
        }
    }
}
