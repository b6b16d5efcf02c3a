package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.stats.Segment;
import dev.gradsweep.transformer.TransformerNet.HeadStats;
import dev.gradsweep.transformer.TransformerNet.Tap;
import dev.gradsweep.transformer.TransformerSpec.Norm;
import dev.gradsweep.transformer.TransformerSpec.Placement;
import dev.gradsweep.transformer.TransformerSpec.Positions;
import dev.gradsweep.transformer.TransformerSpec.Skip;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Closed forms and independent recomputations of the statistics, float64. */
class TransformerClosedFormTest {
    static final int T = TransformerFixtures.T, D = TransformerFixtures.WIDTH;

    static TransformerSpec spec(Skip skip, Norm norm, Placement p, boolean causal) {
        return TransformerFixtures.tiny(skip, norm, p, Positions.LEARNED, causal);
    }

    /** The parameter array of a layer name and param, as a view of the flat buffer. */
    static INDArray array(TransformerNet net, String layerName, String param) {
        for (Segment s : net.segments())
            if (s.layerName.equals(layerName) && s.param.equals(param))
                return Sublayer.view(net.params(), s.offset, s.length);
        throw new AssertionError("no array " + layerName + "." + param);
    }

    @Test
    void zeroLogitsGiveUniformAttention() {
        for (boolean causal : new boolean[] {false, true}) {
            TransformerNet net = TransformerFixtures.net(spec(Skip.RESIDUAL, Norm.LAYER, Placement.PRE, causal), 2);
            TransformerFixtures.perturb(net, 0.3, 5);
            for (int l = 0; l < TransformerFixtures.DEPTH; l++)
                array(net, "block" + l + ".attn.q", "W").assign(0);
            TransformerFixtures.randomBatch(net, 3);
            net.computeGradient(true);
            // bidirectional: every query spreads over T keys, H = ln T; causal: query i over i + 1 keys, H = ln(i + 1)
            double lnFact = 0;
            for (int i = 1; i <= T; i++) lnFact += Math.log(i);
            double mean = causal ? lnFact / T : Math.log(T), min = causal ? 0 : Math.log(T);
            for (HeadStats h : net.attention()) {
                assertEquals(mean, h.entropyMean(), 1e-12, "entropy mean " + h + " causal " + causal);
                assertEquals(min, h.entropyMin(), 1e-12, "entropy min " + h);
                assertEquals(0, h.maxLogit(), 1e-12, "largest logit " + h);
            }
        }
    }

    @Test
    void identicalTokensHaveCosineOneAndOthersMatchPairwiseCosines() {
        TransformerNet net = TransformerFixtures.net(spec(Skip.RESIDUAL, Norm.LAYER, Placement.POST, false), 2);
        TransformerFixtures.perturb(net, 0.3, 5);
        array(net, "embed.pos", "W").assign(0);
        int rows = 2 * T;
        int[] tok = new int[rows], tgt = new int[rows];
        java.util.Arrays.fill(tok, 3);
        net.setBatch(tok, tgt);
        net.computeGradient(true);
        for (HeadStats h : net.attention()) assertEquals(1, h.tokenCosine(), 1e-12, "identical tokens " + h);

        TransformerFixtures.perturb(net, 0.3, 6);
        TransformerFixtures.randomBatch(net, 3);
        net.computeGradient(true);
        for (HeadStats h : net.attention()) {
            double[] y = net.stream(2 * h.layer() + 2);
            double sum = 0;
            for (int b = 0; b < 2; b++)
                for (int i = 0; i < T; i++)
                    for (int j = 0; j < T; j++) if (i != j) sum += cosine(y, b * T + i, b * T + j);
            double expected = sum / (2.0 * T * (T - 1));
            assertTrue(Math.abs(expected) > 1e-3 && Math.abs(expected) < 0.999, "a non-trivial case: " + expected);
            assertEquals(expected, h.tokenCosine(), 1e-12, "block " + h.layer());
        }
    }

    static double cosine(double[] y, int r, int s) {
        double dot = 0, a = 0, b = 0;
        for (int k = 0; k < D; k++) {
            dot += y[r * D + k] * y[s * D + k];
            a += y[r * D + k] * y[r * D + k];
            b += y[s * D + k] * y[s * D + k];
        }
        return dot / Math.sqrt(a * b);
    }

    @Test
    void tapsAreTheStreamsRmsAndGradientNorm() {
        TransformerNet net = TransformerFixtures.net(spec(Skip.REZERO, Norm.RMS, Placement.PRE, true), 2);
        TransformerFixtures.perturb(net, 0.3, 5);
        TransformerFixtures.randomBatch(net, 3);
        net.computeGradient(true);
        List<Tap> taps = net.taps();
        assertEquals(2 * TransformerFixtures.DEPTH + 1, taps.size());
        assertEquals(new Tap(-1, "embed", taps.get(0).rms(), taps.get(0).deltaL2()), taps.get(0));
        assertEquals("block1.ffn", taps.get(4).name());
        for (int i = 0; i < taps.size(); i++) {
            double[] y = net.stream(i), g = net.streamGradient(i);
            double sy = 0, sg = 0;
            for (double v : y) sy += v * v;
            for (double v : g) sg += v * v;
            assertEquals(Math.sqrt(sy / y.length), taps.get(i).rms(), 1e-13, "rms at " + taps.get(i));
            assertEquals(Math.sqrt(sg), taps.get(i).deltaL2(), 1e-13, "delta at " + taps.get(i));
            assertTrue(sg > 0);
        }
    }

    /**
     * α = 0: every block is the identity (pre placement or no norm; under post placement the block's norm still
     * acts), so the stream and δ are the same at every tap, and only the α receive a gradient.
     */
    @Test
    void reZeroAtInitializationIsEmbeddingNormHead() {
        for (Norm n : new Norm[] {Norm.LAYER, Norm.RMS, Norm.NONE}) {
            TransformerNet net = TransformerFixtures.net(spec(Skip.REZERO, n, Placement.PRE, true), 2);
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
        TransformerSpec deep = spec(Skip.DEEPNORM, Norm.LAYER, Placement.POST, false);
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
        TransformerNet res = TransformerFixtures.net(spec(Skip.RESIDUAL, Norm.LAYER, Placement.POST, false), 2);
        double beta = deep.initGain();
        for (String name : new String[] {"attn.q", "attn.k", "attn.v", "attn.o", "ffn.fc1", "ffn.fc2"}) {
            INDArray a = array(dn, "block1." + name, "W"), b = array(res, "block1." + name, "W");
            double f = name.endsWith("q") || name.endsWith("k") ? 1 : beta;
            assertEquals(0, a.sub(b.mul(f)).amaxNumber().doubleValue(), 1e-15, name + " scaled by " + f);
        }
    }

    /** With a zero head every position predicts uniformly: the mean loss over the targeted positions is ln V. */
    @Test
    void lossIsTheMeanOverTargetedPositions() {
        TransformerNet net = TransformerFixtures.net(spec(Skip.RESIDUAL, Norm.LAYER, Placement.PRE, false), 2);
        TransformerFixtures.perturb(net, 0.3, 5);
        array(net, "head", "W").assign(0);
        array(net, "head", "b").assign(0);
        TransformerFixtures.randomBatch(net, 3);
        assertEquals(Math.log(TransformerFixtures.VOCAB), net.loss(), 1e-14);
    }

    /** δ is of the batch mean: a batch of one sequence twice has the same loss and parameter gradient as one. */
    @Test
    void gradientsAreOfTheMeanLoss() {
        TransformerSpec s = spec(Skip.RESIDUAL, Norm.RMS, Placement.POST, true);
        TransformerNet one = TransformerFixtures.net(s, 1), two = TransformerFixtures.net(s, 2);
        int[] tok = {1, 4, 2, 0}, tgt = {4, 2, 0, -1};
        one.setBatch(tok, tgt);
        two.setBatch(new int[] {1, 4, 2, 0, 1, 4, 2, 0}, new int[] {4, 2, 0, -1, 4, 2, 0, -1});
        assertEquals(one.computeGradient(false), two.computeGradient(false), 1e-14);
        assertArrayEquals(one.gradient().toDoubleVector(), two.gradient().toDoubleVector(), 1e-13);
    }

    /** The portable path (ND4J ops and one bulk transfer, what CUDA runs) gives the host path's numbers. */
    @Test
    void portableAndHostDirectMemoryAgree() {
        TransformerSpec s = spec(Skip.REZERO, Norm.LAYER, Placement.POST, true);
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
}
