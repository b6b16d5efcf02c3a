package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.TimeStepStats;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How ‖∂L/∂h_t‖ of a vanilla tanh RNN changes with t at step 0 (one layer, width 128, batch 32, adding inputs,
 * float64). Backward, ∂L/∂h_{t−1} = W_hᵀ (f'(z_t) ⊙ ∂L/∂h_t), so per step back in time the norm changes by the
 * gain of W_hᵀ times the RMS of f' (√E[f'²], which is E[tanh′] to O(1e-6) in the linear regime).
 */
class GradientThroughTimeTest {
    static final int WIDTH = 128, BATCH = 32;

    /**
     * spectral:ρ in the linear regime (input weights normal:1e-4, so |h| stays below 1e-2 for T = 10 even at ρ = 1.5):
     * the fitted slope of ln ‖∂L/∂h_{T−1−k}‖ over k follows ln(ρ·E[tanh′]). Tolerance 0.1: the Gaussian base G of
     * spectral:ρ is rescaled by ρ/ρ(G), but over a few steps a random non-normal matrix amplifies a vector by its RMS
     * gain ‖G‖_F/√n ≈ 1, not by its radius ρ(G), which sits O(n^-½) above 1 at the edge of the circular law; the radius
     * rules only as T → ∞. Measured offsets for widths 64–256, seeds 1–3: −0.008 … −0.079, the same for every ρ at a
     * given seed. That sameness is asserted exactly: the backward map is linear in ρ here.
     */
    @Test
    void linearRegimeSlopeFollowsLnRhoTimesMeanSlope() {
        double[] rhos = {0.5, 0.9, 1.0, 1.1, 1.5};
        for (long seed = 1; seed <= 3; seed++) {
            double offset0 = Double.NaN;
            for (double rho : rhos) {
                Fit f = fit(rho, seed);
                double predicted = Math.log(rho) + f.lnRmsSlope;
                assertTrue(f.minSlopeSq > 0.999, "linear regime: E[tanh'²] = " + f.minSlopeSq);
                assertEquals(predicted, f.slope, 0.1, "rho " + rho + " seed " + seed);
                if (rho < 1) assertTrue(f.slope < 0, "vanishing below 1: " + f.slope);
                if (rho > 1) assertTrue(f.slope > 0, "exploding above 1: " + f.slope);
                double offset = f.slope - predicted;
                System.out.printf(
                        "rho %.1f seed %d: slope %.4f, ln(rho E[tanh']) %.4f%n", rho, seed, f.slope, predicted);
                if (Double.isNaN(offset0)) offset0 = offset;
                assertEquals(offset0, offset, 1e-3, "the deviation is the base matrix's, not ρ's");
            }
        }
    }

    record Fit(double slope, double lnRmsSlope, double minSlopeSq) {}

    static Fit fit(double rho, long seed) {
        int seqLen = 10;
        List<TimeStepStats> st = stepZero(Cell.RNN, Activation.TANH, "spectral:" + rho, "normal:0.0001", seqLen, seed);
        double sk = 0, sy = 0, skk = 0, sky = 0, ln = 0, min = 1;
        for (int k = 0; k < seqLen; k++) {
            TimeStepStats s = st.get(seqLen - 1 - k);
            double v = Math.log(s.hGradL2());
            sk += k;
            sy += v;
            skk += k * k;
            sky += k * v;
            ln += 0.5 * Math.log(s.slopeSqMean());
            min = Math.min(min, s.slopeSqMean());
        }
        return new Fit((seqLen * sky - sk * sy) / (seqLen * skk - sk * sk), ln / seqLen, min);
    }

    /**
     * Vanilla tanh RNN, orthogonal W_h, standard (U[±1/√fan_in]) W_x: over T = 100 steps ‖∂L/∂h_t‖ falls by more than
     * 10^4 from t = T−1 to t = 0 (measured 1.4e5; 22 at T = 25). Orthogonal W_h preserves norms exactly, so the whole
     * decay is the activation's: ln(last/first) ≈ −Σ_t ½ ln E[f'(z_t)²] over the steps it passes, asserted within 15 %
     * (f' and ∂L/∂h are not exactly uncorrelated). IRNN (relu, identity) at the same T does not vanish (< 10×).
     */
    @Test
    void vanillaRnnGradientVanishesOverAHundredSteps() {
        int seqLen = 100;
        List<TimeStepStats> st = stepZero(Cell.RNN, Activation.TANH, "orthogonal", "standard", seqLen, 1);
        double drop = st.get(seqLen - 1).hGradL2() / st.get(0).hGradL2();
        assertTrue(drop > 1e4, "drop " + drop);
        double predicted = 0;
        for (int t = 1; t < seqLen; t++) predicted -= 0.5 * Math.log(st.get(t).slopeSqMean());
        assertEquals(predicted, Math.log(drop), 0.15 * predicted);
        List<TimeStepStats> shortRun = stepZero(Cell.RNN, Activation.TANH, "orthogonal", "standard", 25, 1);
        assertTrue(shortRun.get(24).hGradL2() / shortRun.get(0).hGradL2() < 1e4, "T = 25 does not vanish that far");
        List<TimeStepStats> irnn = stepZero(Cell.RNN, Activation.RELU, "identity", "xavier", seqLen, 1);
        double irnnDrop = irnn.get(seqLen - 1).hGradL2() / irnn.get(0).hGradL2();
        System.out.printf(
                "tanh orthogonal/standard T=100 drop %.3g (predicted %.3g), T=25 %.3g; IRNN %.3g%n",
                drop,
                Math.exp(predicted),
                shortRun.get(24).hGradL2() / shortRun.get(0).hGradL2(),
                irnnDrop);
        assertTrue(irnnDrop < 10 && irnnDrop > 0.1, "IRNN ratio " + irnnDrop);
    }

    static List<TimeStepStats> stepZero(Cell cell, Activation act, String rec, String in, int seqLen, long seed) {
        SequenceTask task = new AddingTask();
        RecurrentSpec spec = RecurrentSpec.of(
                cell, act, 1, WIDTH, task, seqLen, RecInit.parse(rec), Init.parse(in), TrainSpec.DType.FLOAT64, seed);
        RecurrentNet net = new RecurrentNet(spec, BATCH);
        double[] x = new double[seqLen * BATCH * 2], y = new double[BATCH];
        task.fill(seed, 0, BATCH, seqLen, x, y);
        net.setBatch(x, y);
        net.computeGradient(true);
        return net.timeSteps();
    }
}
