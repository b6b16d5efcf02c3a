package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.stats.Segment;
import dev.gradsweep.transformer.TransformerSpec.Norm;
import dev.gradsweep.transformer.TransformerSpec.Placement;
import dev.gradsweep.transformer.TransformerSpec.Positions;
import dev.gradsweep.transformer.TransformerSpec.Skip;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central finite differences (float64) of the mean loss against the hand-written backward, for every valid skip ×
 * norm × placement, causal and bidirectional (learned positions for one, sinusoidal for the other, alternating):
 * every parameter array and every δ tap, each along a random unit direction over the whole array (so every
 * element takes part) and at a random single element. Parameters are perturbed off their initial values first.
 *
 * <p>Tolerance |a − n| ≤ 1e-6 · max(|a|, |n|) + 1e-8, ε = 1e-5, unit directions. The central difference's
 * truncation error is ε² |L'''|/6 ≈ 2e-10 for |L'''| ≈ 10 along a unit direction; rounding adds ≈ κ u |L| / ε with
 * u = 1.1e-16, |L| ≈ ln 5 and κ ≈ 100 ops on the path to the loss: ≈ 2e-9. The bound is 5× the larger; a wrong term
 * in a backward formula gives errors of the order of the gradient itself.
 */
class TransformerFiniteDifferenceTest {
    static final double EPS = 1e-6;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        int i = 0;
        for (Object[] c : TransformerFixtures.combinations())
            for (boolean causal : new boolean[] {false, true}) {
                Positions pos = (i++ % 2 == 0) ? Positions.LEARNED : Positions.SINUSOIDAL;
                b.add(Arguments.of(c[0], c[1], c[2], causal, pos));
            }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1} {2} causal={3} {4}")
    @MethodSource("cases")
    void everyArrayAndTapMatchesCentralDifferences(
            Skip skip, Norm norm, Placement place, boolean causal, Positions pos) {
        TransformerNet net = TransformerFixtures.net(TransformerFixtures.tiny(skip, norm, place, pos, causal), 2);
        TransformerFixtures.perturb(net, 0.3, 5);
        TransformerFixtures.randomBatch(net, 3);
        double loss = net.computeGradient(true);
        assertEquals(loss, net.loss(), 1e-15, "forward is deterministic");
        double[] g = net.gradient().toDoubleVector();
        INDArray p = net.params(), saved = p.dup();
        Random rng = new Random(17);
        for (Segment s : net.segments()) {
            String name = s.layerName + "." + s.param;
            double sq = 0;
            for (int i = s.offset; i < s.offset + s.length; i++) sq += g[i] * g[i];
            assertTrue(sq > 1e-12, name + ": a gradient that is not 0");
            for (int k = 0; k < 2; k++) {
                double[] v = direction(s.length, k == 0 ? -1 : rng.nextInt(s.length), rng);
                double analytic = 0;
                double[] full = new double[g.length];
                for (int i = 0; i < s.length; i++) {
                    analytic += g[s.offset + i] * v[i];
                    full[s.offset + i] = v[i] * EPS;
                }
                INDArray dv = Nd4j.createFromArray(full).reshape(p.shape()).castTo(p.dataType());
                p.addi(dv);
                double up = net.loss();
                p.assign(saved).subi(dv);
                double down = net.loss();
                p.assign(saved);
                check(analytic, (up - down) / (2 * EPS), name + " direction " + k);
            }
        }
        int rows = net.batch() * net.spec().context(), d = net.spec().width();
        for (int tap = 0; tap < net.tapCount(); tap++) {
            double[] delta = net.streamGradient(tap);
            for (int k = 0; k < 2; k++) {
                double[] v = direction(rows * d, k == 0 ? -1 : rng.nextInt(rows * d), rng);
                double analytic = 0;
                for (int i = 0; i < v.length; i++) analytic += delta[i] * v[i];
                INDArray dv = Nd4j.createFromArray(v).reshape(rows, d).muli(EPS).castTo(p.dataType());
                net.probe(tap, dv);
                double up = net.loss();
                net.probe(tap, dv.neg());
                double down = net.loss();
                net.probe(tap, null);
                check(analytic, (up - down) / (2 * EPS), "tap " + tap + " direction " + k);
            }
        }
        assertEquals(loss, net.loss(), 1e-15, "parameters and stream restored");
    }

    /** A unit vector: random Gaussian direction (at < 0) or the basis vector e_at. */
    static double[] direction(int n, int at, Random rng) {
        double[] v = new double[n];
        if (at >= 0) {
            v[at] = 1;
            return v;
        }
        double s = 0;
        for (int i = 0; i < n; i++) s += (v[i] = rng.nextGaussian()) * v[i];
        for (int i = 0; i < n; i++) v[i] /= Math.sqrt(s);
        return v;
    }

    /** The largest error seen, absolute and relative (over derivatives above 1e-4), printed for the docs. */
    static double worstAbs, worstRel;

    @AfterAll
    static void report() {
        System.out.printf("finite differences: worst |a − n| %.2e, worst relative %.2e%n", worstAbs, worstRel);
    }

    static void check(double analytic, double numeric, String what) {
        double err = Math.abs(analytic - numeric);
        worstAbs = Math.max(worstAbs, err);
        if (Math.abs(numeric) > 1e-4) worstRel = Math.max(worstRel, err / Math.abs(numeric));
        assertTrue(
                err <= 1e-6 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 1e-8,
                what + ": analytic " + analytic + " numeric " + numeric + " error " + err);
    }
}
