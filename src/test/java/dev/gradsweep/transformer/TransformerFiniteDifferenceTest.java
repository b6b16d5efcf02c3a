package dev.gradsweep.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Positions;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.stats.Segment;
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
 * element takes part: an error of a few 1e-5 of the gradient's size in any one element exceeds the bound). Parameters are perturbed off their initial values first.
 *
 * <p>Tolerance |a − n| ≤ 1e-6 · max(|a|, |n|) + 1e-8 with ε = 1e-6 and unit directions. Truncation of the central
 * difference is ε² |L‴|/6; at ε = 1e-5 the worst error over all cases was 3.2e-8 and truncation-dominated (it fell
 * 10× at ε = 1e-6), so |L‴| reaches ≈ 2·10³ along some directions here (perturbed gains, norms of short vectors),
 * giving ≤ 3.3e-10 at ε = 1e-6. Rounding: each of L(p ± εv) carries ≈ κ u |L| with u = 1.1e-16, |L| ≈ ln 5 and κ
 * ≈ 30 roundings on the path to the loss, ≈ 5e-9 in the difference quotient: the absolute term is twice that.
 * Measured at ε = 1e-6: worst |a − n| 3.9e-9; the relative term covers large derivatives. A wrong term in a backward
 * formula gives errors of the order of the gradient (checked: dropping layer norm's mean term, or the 1/√d_h of the
 * softmax backward, fails 14 and 40 of the 40 cases).
 */
class TransformerFiniteDifferenceTest {
    static final double EPS = 1e-6;
    /** Checks per array and tap: a random unit direction (every element takes part); 2 adds a random single element. */
    static final int CHECKS = 1;

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
            for (int k = 0; k < CHECKS; k++) {
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
            for (int k = 0; k < CHECKS; k++) {
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
