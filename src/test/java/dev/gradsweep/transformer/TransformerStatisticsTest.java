package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.transformer.TransformerNet.HeadStats;
import dev.gradsweep.transformer.TransformerNet.Tap;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The statistics against closed forms and against recomputations from the streams, float64. */
class TransformerStatisticsTest {
    static final int T = TransformerFixtures.T, D = TransformerFixtures.WIDTH;

    @Test
    void zeroLogitsGiveUniformAttention() {
        for (boolean causal : new boolean[] {false, true}) {
            TransformerNet net = TransformerFixtures.net(
                    TransformerFixtures.spec(Skip.RESIDUAL, Norm.LAYER, Placement.PRE, causal), 2);
            TransformerFixtures.perturb(net, 0.3, 5);
            for (int l = 0; l < TransformerFixtures.DEPTH; l++)
                TransformerFixtures.array(net, "block" + l + ".attn.q", "W").assign(0);
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
        TransformerNet net =
                TransformerFixtures.net(TransformerFixtures.spec(Skip.RESIDUAL, Norm.LAYER, Placement.POST, false), 2);
        TransformerFixtures.perturb(net, 0.3, 5);
        TransformerFixtures.array(net, "embed.pos", "W").assign(0);
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
        TransformerNet net =
                TransformerFixtures.net(TransformerFixtures.spec(Skip.REZERO, Norm.RMS, Placement.PRE, true), 2);
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
}
