package dev.gradsweep.repro;

import static dev.gradsweep.repro.Repro.Run;
import static dev.gradsweep.repro.Repro.log2;
import static dev.gradsweep.repro.Repro.meanLevelLoss;
import static dev.gradsweep.repro.Repro.run;
import static dev.gradsweep.repro.Repro.slope;
import static dev.gradsweep.repro.Repro.tailLoss;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.train.MemoryRecorder;
import org.junit.jupiter.api.Test;

/**
 * Small, seeded versions of the reference grids in conf/grids/: each asserts the published effect on the numbers
 * gradsweep records (params/layers rows), and fails when the effect is absent. Slopes are least-squares fits over
 * the layer index l (0 nearest the input). The back-propagated signal δ_l is the recorded bias gradient (param b).
 */
class ReproductionTest {
    static final TrainSpec.DType F64 = TrainSpec.DType.FLOAT64, F32 = TrainSpec.DType.FLOAT32;

    /** log2 ‖∇b_l‖² over l: +1 means the squared signal halves per layer toward the input. */
    static double deltaSlope(Run r, int from, int to) {
        return slope(from, to, l -> 2 * log2(r.rec().param(0, l, "b").gradL2()));
    }

    /** log2 ‖∇W_l‖² over l: 0 means the weight gradient is flat across layers. */
    static double weightSlope(Run r, int from, int to) {
        return slope(from, to, l -> 2 * log2(r.rec().param(0, l, "W").gradL2()));
    }

    /** log2 of the squared forward scale (act_std²) of W_l's input a_{l−1}, over l = from … to−1 (from ≥ 1). */
    static double inputActSlope(Run r, int from, int to) {
        return slope(from, to, l -> 2 * log2(r.rec().layer(0, "dense" + (l - 1)).std()));
    }

    /**
     * He et al. 2015, ReLU MLP of depth 30, step 0: with xavier the back-propagated signal's variance halves per layer
     * toward the input (their Var[Δx] analysis: slope of log2 ‖δ_l‖² ≈ 1), with he it stays flat.
     * ‖∇W_l‖ does not show the halving: ∇W_l = δ_l a_{l−1}ᵀ, and under xavier the forward second moment halves per
     * layer toward the output (slope of log2 act_std² ≈ −1), which cancels δ's slope; under he both are flat.
     * Measured over seeds 1–7 (log2 of squares): ∇W slope −0.06…+0.13 (xavier), −0.07…+0.15 (he); under xavier
     * the δ and forward slopes cancel to within about 0.1.
     */
    @Test
    void he2015XavierHalvesTheSignalPerLayerHeKeepsItFlat() {
        Run xRun = run(30, 64, "relu", "xavier", "none", "n/a", "none", 1, 32, 0.01, F64, 1);
        Run hRun = run(30, 64, "relu", "he", "none", "n/a", "none", 1, 32, 0.01, F64, 1);
        double xavier = deltaSlope(xRun, 0, 30), he = deltaSlope(hRun, 0, 30);
        assertTrue(xavier > 0.75 && xavier < 1.25, "xavier slope " + xavier);
        assertTrue(Math.abs(he) < 0.2 * xavier, "he slope " + he + " vs xavier " + xavier);
        // ‖∇W_l‖ is flat under both inits: no factor 2 per layer in the weight gradient itself.
        double wXavier = weightSlope(xRun, 1, 30), wHe = weightSlope(hRun, 1, 30);
        assertTrue(Math.abs(wXavier) < 0.3 * xavier, "xavier ∇W slope " + wXavier + " vs δ slope " + xavier);
        assertTrue(Math.abs(wHe) < 0.3 * xavier, "he ∇W slope " + wHe);
        // Why: the forward scale falls toward the output as fast as δ falls toward the input.
        double actXavier = inputActSlope(xRun, 1, 30);
        assertTrue(actXavier < -0.7 && actXavier > -1.3, "xavier forward slope " + actXavier);
        assertEquals(-xavier, actXavier, 0.25, "xavier: forward slope cancels δ's");
    }

    /** Glorot & Bengio 2010, tanh MLP: standard init shrinks back-propagated gradients toward the input, xavier much less. */
    @Test
    void glorot2010StandardInitShrinksGradientsXavierKeepsThem() {
        double standard =
                deltaSlope(run(10, 64, "tanh", "standard", "none", "n/a", "none", 1, 32, 0.01, F64, 1), 0, 10);
        double xavier = deltaSlope(run(10, 64, "tanh", "xavier", "none", "n/a", "none", 1, 32, 0.01, F64, 1), 0, 10);
        assertTrue(standard > 1.0, "standard slope " + standard);
        assertTrue(xavier < 0.4 && xavier < standard / 3, "xavier slope " + xavier + " vs standard " + standard);
    }

    /**
     * Poole et al. 2016 / Schoenholz et al. 2017, tanh, N(0, σw²/n) weights, zero bias, step 0: the per-layer change
     * of ln ‖δ_l‖² toward the input equals ln χ₁ with χ₁ = σw²·E[tanh'(h)²], E taken from the recorded
     * act_slope_sq_mean of each layer. Tolerance 0.08: at width 64 and batch 32 the per-layer ratios fluctuate by
     * O(1/√width) around the mean-field value; the fitted slope over 18 layers averages most of it away.
     * <p>
     * ‖∇W_l‖ = ‖δ_l a_{l−1}ᵀ‖ does not show the three phases: its slope is δ's plus the forward scale's. Without bias
     * the ordered phase's activations decay toward the output (ln act_std² rises by ≈ −ln σw² = 0.69 per layer toward
     * the input), which cancels δ's −0.7, so ∇W is flat; critical: both small; chaotic: the activations sit at their
     * fixed point q* (flat), so ∇W grows toward the input with δ. Measured over seeds 1–7: ∇W slope ordered
     * −0.04…+0.09, critical −0.07…+0.06, chaotic +0.06…+0.13; |∇W − (δ + act)| ≤ 0.13 (largest in the chaotic phase,
     * where the batch-summed δ is noisiest).
     */
    @Test
    void edgeOfChaosSlopeMatchesChi1() {
        double[] sw2 = {0.5, 1, 2}, fitted = new double[3], w = new double[3], act = new double[3];
        for (int i = 0; i < 3; i++) {
            Run r = run(20, 64, "tanh", "normal:" + Math.sqrt(sw2[i]), "none", "n/a", "none", 1, 32, 0.01, F64, 1);
            // layers 2..19 (skip the first layers' transient from the input scale); slope toward the input is −d/dl
            fitted[i] = -slope(2, 20, l -> 2 * Math.log(r.rec().param(0, l, "b").gradL2()));
            double lnChi = 0;
            for (int l = 2; l < 19; l++)
                lnChi += Math.log(sw2[i] * r.rec().layer(0, "dense" + l).slopeSqMean());
            lnChi /= 17;
            assertEquals(lnChi, fitted[i], 0.08, "sigma_w^2 = " + sw2[i]);
            w[i] = -slope(2, 20, l -> 2 * Math.log(r.rec().param(0, l, "W").gradL2()));
            act[i] = -slope(
                    2, 20, l -> 2 * Math.log(r.rec().layer(0, "dense" + (l - 1)).std()));
            assertEquals(fitted[i] + act[i], w[i], 0.2, "sigma_w^2 = " + sw2[i] + ": ∇W slope vs δ + forward scale");
        }
        assertTrue(fitted[0] < -0.4, "ordered: " + fitted[0]);
        assertTrue(Math.abs(fitted[1]) < 0.2, "critical: " + fitted[1]);
        assertTrue(fitted[2] > 0.05, "chaotic: " + fitted[2]);
        // The ordered phase's ∇W is flat although δ falls steeply: the forward scale makes up the difference.
        assertTrue(act[0] > 0.5, "ordered: forward scale slope toward the input " + act[0]);
        assertTrue(Math.abs(w[0]) < 0.2 && Math.abs(w[1]) < 0.2, "∇W slopes ordered " + w[0] + ", critical " + w[1]);
        assertTrue(Math.abs(act[2]) < 0.05 && w[2] > 0.02, "chaotic: forward slope " + act[2] + ", ∇W slope " + w[2]);
    }

    /**
     * Xiong et al. 2020, residual blocks with layer norm (ReLU FFN, xavier), step 0: the fc2 weight-gradient norm grows
     * with the block index toward the output for post-LN and is flat for pre-LN; pre-LN's last-block gradient shrinks
     * with depth L roughly as 1/√L (log-log slope near −1/2).
     */
    @Test
    void xiong2020PostLnGrowsTowardTheOutputPreLnIsFlatAndShrinksWithDepth() {
        Run post = run(12, 64, "relu", "xavier", "layer", "post", "residual", 1, 32, 0.01, F64, 1);
        Run pre = run(12, 64, "relu", "xavier", "layer", "pre", "residual", 1, 32, 0.01, F64, 1);
        double sPost = slope(
                0, 12, l -> log2(post.rec().param(0, "block" + l + ".fc2", "W").gradL2()));
        double sPre = slope(
                0, 12, l -> log2(pre.rec().param(0, "block" + l + ".fc2", "W").gradL2()));
        assertTrue(sPost > 0.1, "post-LN slope " + sPost);
        assertTrue(Math.abs(sPre) < 0.08 && Math.abs(sPre) < sPost / 2, "pre-LN slope " + sPre + " vs post " + sPost);
        double g4 = lastBlock(4), g64 = lastBlock(64);
        double loglog = Math.log(g64 / g4) / Math.log(16);
        assertTrue(loglog > -0.75 && loglog < -0.3, "pre-LN last-block gradient vs depth: log-log slope " + loglog);
    }

    static double lastBlock(int depth) {
        Run r = run(depth, 64, "relu", "xavier", "layer", "pre", "residual", 1, 32, 0.01, F64, 1);
        return r.rec().param(0, "block" + (depth - 1) + ".fc2", "W").gradL2();
    }

    /**
     * Bachlechner et al. 2020, ReZero at depth 100, step 0: α = 0 makes every block the identity, so the gradient
     * arriving at every block output (act_grad_l2) is the same, the fc weights get exactly zero gradient and only
     * the α's learn.
     */
    @Test
    void rezeroAtInitEveryBlockSeesTheSameGradient() {
        MemoryRecorder rec = run(100, 32, "relu", "he", "none", "n/a", "rezero", 1, 32, 0.01, F64, 1)
                .rec();
        double g0 = rec.layer(0, "block0").outGradL2();
        assertTrue(g0 > 0);
        for (int l = 1; l < 100; l++) assertEquals(g0, rec.layer(0, "block" + l).outGradL2(), 1e-12 * g0, "block " + l);
        for (int l = 0; l < 100; l++) {
            assertEquals(0.0, rec.param(0, "block" + l + ".fc1", "W").gradL2(), 0.0);
            assertTrue(rec.param(0, "block" + l + ".rezero", "alpha").gradL2() > 0, "alpha " + l);
        }
    }

    /**
     * He et al. 2016: ReLU, he init, batch norm, 30 weight layers (plain depth 30 vs 15 residual blocks of two
     * layers each): the residual net reaches a lower training loss in the same 40 steps.
     */
    @Test
    void resnet2016ResidualReachesLowerLossThanPlain() {
        double plain = tailLoss(
                run(30, 32, "relu", "he", "batch", "post", "none", 40, 32, 0.05, F32, 1)
                        .rec(),
                10);
        double residual = tailLoss(
                run(15, 32, "relu", "he", "batch", "post", "residual", 40, 32, 0.05, F32, 1)
                        .rec(),
                10);
        assertTrue(residual < 0.95 * plain, "residual " + residual + " vs plain " + plain);
    }

    /**
     * Srivastava et al. 2015 at depth 50 (sigmoid): the plain net stalls — its first layer gets a gradient some thirty
     * orders of magnitude below its last, and the net never predicts better than the targets' mean — while the highway
     * net's first block (gates start mostly carrying, bias −2: the carry path keeps (1 − T)^50 ≈ 0.88^50 ≈ 2e-3 of the
     * signal) gets a gradient at least a thousand times larger relative to its last block's, learns, and fits most of
     * the variance within 40 steps.
     * <p>
     * Full batch, so the recorded loss is the whole data set's and a net that ignores its input cannot go below the
     * mean-level loss Var(y). The loss is compared with that level, not with step 0's loss: the plain net's loss does
     * fall (to 0.3× of step 0 for seed 1) by fitting the output bias alone. Adam, because it rescales the highway's
     * small (1e-5…1e-4) first-block gradients to full-size steps within 40 steps (SGD and momentum took longer than a
     * unit test); the plain net's ~1e-32 gradients stay far below Adam's ε = 1e-8, so Adam does not rescue it.
     * Measured over seeds 1–6: highway tail loss 0.03–0.21 × Var(y), plain 1.002–1.035 × Var(y).
     */
    @Test
    void highway2015DeepPlainNetStallsWhereHighwayLearns() {
        TaskSpec task = TestNets.regression(TaskSpec.Kind.TEACHER, 4, 1, 128);
        TrainSpec train = new TrainSpec(40, 128, TrainSpec.Optimizer.ADAM, 0.03, "none", F32, 0, -2);
        Run plainRun = run(50, 16, "sigmoid", "xavier", "none", "n/a", "none", task, train, 1);
        Run hwRun = run(50, 16, "sigmoid", "xavier", "none", "n/a", "highway", task, train, 1);
        MemoryRecorder plain = plainRun.rec(), hw = hwRun.rec();
        // Both share the data (same task and seed), so one mean level.
        double level = meanLevelLoss(plainRun.data());
        double plainTail = tailLoss(plain, 10) / level, hwTail = tailLoss(hw, 10) / level;
        assertTrue(
                plainTail > 0.97,
                "plain net's last-10-step loss / Var(y) = " + plainTail + ": it should stay at the mean level");
        assertTrue(
                hwTail < 0.5,
                "highway net's last-10-step loss / Var(y) = " + hwTail + ": it should fit most of the variance");
        double plainRatio =
                plain.param(0, 0, "W").gradL2() / plain.param(0, 49, "W").gradL2();
        double hwRatio = hw.param(0, "block0.fc1", "W").gradL2()
                / hw.param(0, "block49.fc1", "W").gradL2();
        assertTrue(plainRatio < 1e-6, "plain first/last " + plainRatio);
        assertTrue(
                hwRatio > 1e-4 && hwRatio > 1e3 * plainRatio,
                "highway first/last " + hwRatio + " vs plain " + plainRatio);
        double gate = hw.layer(0, "block0.gate").mean();
        assertEquals(1 / (1 + Math.exp(2)), gate, 0.05, "mean transform gate at init (bias -2)");
        double plainMoved =
                plain.param(4, 0, "W").updateL2() / plain.param(4, 0, "W").paramL2();
        double hwMoved = hw.param(4, "block0.fc1", "W").updateL2()
                / hw.param(4, "block0.fc1", "W").paramL2();
        assertTrue(
                hwMoved > 1000 * plainMoved,
                "update ratio of the first layer: highway " + hwMoved + " vs plain " + plainMoved);
    }
}
