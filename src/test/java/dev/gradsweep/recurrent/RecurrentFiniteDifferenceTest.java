package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TimeStepStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite differences (float64) of the mean loss against the hand-written BPTT, for every parameter element
 * and for ∂L/∂h_t of every layer, step and element (h_t perturbed inside the forward pass, so the difference sees
 * every path from h_t to the loss: later steps, the layer above, the output). Two layers, T = 6.
 *
 * <p>Tolerance |analytic − numeric| ≤ 1e-6 · max(|analytic|, |numeric|) + 1e-9. With ε = 1e-6 the truncation error
 * of the central difference is ε² L'''/6 ≈ 1e-12 for these O(1) functions, and rounding contributes
 * ≈ u · |L| / ε ≈ 1e-16 / 1e-6 = 1e-10 in absolute terms; the bound leaves an order of magnitude above both.
 * A wrong term in a backward formula gives relative errors of order 1.
 */
class RecurrentFiniteDifferenceTest {
    static final double EPS = 1e-6;
    static final int BATCH = 3, T = 6, WIDTH = 4;

    @ParameterizedTest
    @CsvSource({
        "rnn, tanh, adding",
        "rnn, relu, copy:2:3",
        "rnn, tanh, copy:2:3",
        "lstm, tanh, adding",
        "lstm, tanh, copy:2:3",
        "gru, tanh, adding",
        "gru, tanh, copy:2:3"
    })
    void parameterAndHiddenGradientsMatchCentralDifferences(String cell, String act, String taskName) {
        SequenceTask task = SequenceTask.parse(taskName);
        RecurrentNet net =
                RecurrentFixtures.perturbed(cell, act, task, WIDTH, T, BATCH, 7).net();
        INDArray p = net.params();
        double loss = net.computeGradient(true);
        assertEquals(loss, net.loss(), 1e-15, "forward is deterministic");
        double[] analytic = net.gradient().dup().data().asDouble();
        double worst = 0;
        for (Segment s : net.segments()) {
            double fdSq = 0;
            for (int i = s.offset; i < s.offset + s.length; i++) {
                double orig = p.getDouble(i);
                p.putScalar(i, orig + EPS);
                double up = net.loss();
                p.putScalar(i, orig - EPS);
                double down = net.loss();
                p.putScalar(i, orig);
                double numeric = (up - down) / (2 * EPS);
                fdSq += numeric * numeric;
                worst = Math.max(
                        worst, check(analytic[i], numeric, s.layerName + "." + s.param + "[" + (i - s.offset) + "]"));
            }
            assertTrue(fdSq > 1e-12, s.layerName + "." + s.param + " has a gradient in the finite differences too");
        }
        double[][][] dh = new double[2][T][];
        for (int l = 0; l < 2; l++) for (int t = 0; t < T; t++) dh[l][t] = net.hiddenGradient(l, t);
        for (int l = 0; l < 2; l++) {
            for (int t = 0; t < T; t++) {
                double fdSq = 0;
                for (int i = 0; i < BATCH * WIDTH; i++) {
                    net.probe(l, t, i, EPS);
                    double up = net.loss();
                    net.probe(l, t, i, -EPS);
                    double down = net.loss();
                    double numeric = (up - down) / (2 * EPS);
                    fdSq += numeric * numeric;
                    worst = Math.max(
                            worst, check(dh[l][t][i], numeric, "dL/dh layer " + l + " t " + t + " [" + i + "]"));
                }
                net.probe(-1, 0, 0, 0);
                // the recorded statistic is the norm of exactly this total derivative
                TimeStepStats st = net.timeSteps().get(l * T + t);
                assertEquals(l, st.layer());
                assertEquals(t, st.t());
                assertEquals(
                        Math.sqrt(fdSq), st.hGradL2(), 1e-6 * st.hGradL2() + 1e-9, "‖dL/dh‖ layer " + l + " t " + t);
            }
        }
        System.out.printf(
                "%s/%s/%s: worst relative error %.2e over %d parameters%n", cell, act, taskName, worst, p.length());
    }

    /** Returns the relative error where the gradient is not tiny (for the report), asserting the bound. */
    static double check(double analytic, double numeric, String what) {
        double scale = Math.max(Math.abs(analytic), Math.abs(numeric));
        assertTrue(
                Math.abs(analytic - numeric) <= 1e-6 * scale + 1e-9,
                what + ": analytic " + analytic + " vs numeric " + numeric);
        return scale > 1e-4 ? Math.abs(analytic - numeric) / scale : 0;
    }
}
