package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ParamStats;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The training step: parameter statistics, clipping, the optimizers' first steps, divergence. */
class RecurrentTrainerTest {
    static final int BATCH = 8, T = 6;

    static RecurrentSpec spec(Cell cell, Activation act, String rec, String in, TrainSpec.DType dt, int seqLen) {
        return TimeStepStatsTest.spec(cell, act, rec, in, dt, seqLen);
    }

    @Test
    void trainerReducesParamsAndClipsAsTheFeedForwardLoop() {
        RecurrentSpec spec = spec(Cell.LSTM, null, "orthogonal", "xavier", TrainSpec.DType.FLOAT64, T);
        double lr = 0.1;
        RecurrentTrainer plain = new RecurrentTrainer(
                spec,
                new AddingTask(),
                new TrainSpec(3, BATCH, TrainSpec.Optimizer.SGD, lr, "none", TrainSpec.DType.FLOAT64));
        StepResult r = plain.step(true);
        double sq = 0;
        for (int i = 0; i < r.params().length; i++) {
            ParamStats p = r.params()[i];
            assertEquals(r.segments()[i].length, p.count);
            assertEquals(lr * p.gradL2(), p.updateL2(), 1e-12 * p.gradL2(), "SGD: update = lr · gradient");
            assertTrue(p.paramL2() > 0 || r.segments()[i].param.equals("b"));
            sq += p.sumSq;
        }
        assertEquals(Math.sqrt(sq), r.gradL2(), 1e-15);
        java.util.List<String> rows = new java.util.ArrayList<>();
        r.recordTo(new dev.gradsweep.stats.RunRecorder() {
            @Override
            public void step(int step, double loss, double g, double u, double lrNow, double ms) {
                rows.add("step " + step);
            }

            @Override
            public void param(int step, dev.gradsweep.stats.Segment s, ParamStats p) {
                rows.add(s.layerName + "." + s.param);
            }

            @Override
            public void layer(int step, dev.gradsweep.stats.LayerInfo l, dev.gradsweep.stats.ActStats a, double g) {
                rows.add("layer");
            }
        });
        assertEquals(
                java.util.List.of(
                        "step 0",
                        "lstm0.W_x",
                        "lstm0.W_h",
                        "lstm0.b",
                        "lstm1.W_x",
                        "lstm1.W_h",
                        "lstm1.b",
                        "output.W",
                        "output.b"),
                rows);
        assertEquals(2 * T, r.timeSteps().size());
        double c = r.gradL2() / 4;
        RecurrentTrainer clipped = new RecurrentTrainer(
                spec,
                new AddingTask(),
                new TrainSpec(3, BATCH, TrainSpec.Optimizer.SGD, lr, "norm:" + c, TrainSpec.DType.FLOAT64));
        StepResult rc = clipped.step(true);
        assertEquals(r.gradL2(), rc.gradL2(), 1e-15, "statistics are of the gradient before clipping");
        assertEquals(lr * c, rc.updateL2(), 1e-12);
        double v = 1e-4;
        RecurrentTrainer valued = new RecurrentTrainer(
                spec,
                new AddingTask(),
                new TrainSpec(3, BATCH, TrainSpec.Optimizer.SGD, lr, "value:" + v, TrainSpec.DType.FLOAT64));
        INDArray before = valued.net().params().dup();
        valued.step(false);
        double maxStep = valued.net().params().sub(before).amaxNumber().doubleValue();
        assertTrue(
                maxStep <= lr * v * (1 + 1e-9) && maxStep > 0.5 * lr * v,
                "value clipping bounds every element: " + maxStep);
    }

    /** ReLU with W_h of spectral radius 3 over 100 steps (3^100 ≈ 5e47) overflows float32: recorded, not applied. */
    @Test
    void nonFiniteStepIsRecordedAndNotApplied() {
        RecurrentSpec spec = spec(Cell.RNN, Activation.RELU, "spectral:3", "he", TrainSpec.DType.FLOAT32, 100);
        RecurrentTrainer tr = new RecurrentTrainer(
                spec,
                new AddingTask(),
                new TrainSpec(5, BATCH, TrainSpec.Optimizer.SGD, 0.1, "none", TrainSpec.DType.FLOAT32));
        INDArray before = tr.net().params().dup();
        StepResult r = tr.step(true);
        assertFalse(r.finite());
        assertTrue(tr.diverged());
        assertFalse(tr.hasNext());
        assertTrue(Double.isNaN(r.updateL2()));
        for (ParamStats p : r.params()) assertTrue(Double.isNaN(p.updateL2()), "no update applied: null, not 0");
        assertEquals(before, tr.net().params());
    }

    /**
     * First steps from zero optimizer state, from the gradient g of the first batch: SGD moves every element by lr · g;
     * Adam (ND4J's form: the step size carries the bias corrections, ε is added to the uncorrected √v = √(1−β₂)·|g|)
     * by lr · g / (|g| + ε/√(1−β₂)), ≈ lr · sign(g), with ε = 1e-8, β₂ = 0.999; Nesterov momentum μ = 0.9 (the
     * look-ahead form v ← μv − lr·g, step μv₋ − (1+μ)v) by (1 + μ) · lr · g.
     */
    @Test
    void firstStepsOfAdamAndSgd() {
        RecurrentSpec spec = spec(Cell.GRU, null, "orthogonal", "xavier", TrainSpec.DType.FLOAT64, T);
        double lr = 0.01;
        for (TrainSpec.Optimizer opt : new TrainSpec.Optimizer[] {
            TrainSpec.Optimizer.ADAM, TrainSpec.Optimizer.SGD, TrainSpec.Optimizer.MOMENTUM
        }) {
            RecurrentTrainer tr = new RecurrentTrainer(
                    spec, new AddingTask(), new TrainSpec(2, BATCH, opt, lr, "none", TrainSpec.DType.FLOAT64));
            INDArray before = tr.net().params().dup();
            RecurrentNet probe = new RecurrentNet(spec, BATCH); // same initial parameters, same first batch
            double[] x = new double[T * BATCH * 2], y = new double[BATCH];
            new AddingTask().fill(spec.seed(), 0, BATCH, T, x, y);
            probe.setBatch(x, y);
            probe.computeGradient(false);
            double[] g = probe.gradient().data().asDouble();
            tr.step(false);
            double[] step = before.sub(tr.net().params()).data().asDouble();
            int checked = 0;
            for (int i = 0; i < g.length; i++) {
                if (Math.abs(g[i]) < 1e-5) continue;
                double expected = opt == TrainSpec.Optimizer.ADAM
                        ? lr * g[i] / (Math.abs(g[i]) + 1e-8 / Math.sqrt(1 - 0.999))
                        : opt == TrainSpec.Optimizer.SGD ? lr * g[i] : (1 + 0.9) * lr * g[i];
                assertEquals(expected, step[i], 1e-6 * Math.abs(expected), opt + " element " + i);
                checked++;
            }
            assertTrue(checked > 100, "checked " + checked);
        }
    }
}
