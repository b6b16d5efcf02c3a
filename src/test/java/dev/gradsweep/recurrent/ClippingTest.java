package dev.gradsweep.recurrent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.TrainSpec;
import org.junit.jupiter.api.Test;

/**
 * Pascanu et al. 2013: a tanh RNN whose W_h has spectral radius 1.5 has exploding gradients through time; plain SGD
 * takes one huge step, the weights blow up and the run goes non-finite; norm clipping at 1 bounds every step to
 * lr · 1, and the same run trains: finite throughout, held-out MSE below its start.
 */
class ClippingTest {
    @Test
    void normClippingTurnsADivergingRunIntoATrainingOne() {
        SequenceTask task = new AddingTask();
        RecurrentSpec spec = RecurrentSpec.of(
                Cell.RNN,
                Activation.TANH,
                1,
                24,
                task,
                30,
                RecInit.parse("spectral:1.5"),
                Init.parse("xavier"),
                TrainSpec.DType.FLOAT32,
                1);
        int steps = 60;
        RecurrentTrainer plain = new RecurrentTrainer(
                spec, task, new TrainSpec(steps, 16, TrainSpec.Optimizer.SGD, 0.1, "none", TrainSpec.DType.FLOAT32));
        double maxGrad = 0;
        while (plain.hasNext()) {
            StepResult r = plain.step(false);
            if (r.finite()) maxGrad = Math.max(maxGrad, r.gradL2());
        }
        assertTrue(plain.diverged(), "unclipped: diverged (largest finite gradient " + maxGrad + ")");

        RecurrentTrainer clipped = new RecurrentTrainer(
                spec, task, new TrainSpec(steps, 16, TrainSpec.Optimizer.SGD, 0.1, "norm:1", TrainSpec.DType.FLOAT32));
        double before = clipped.evaluate(8), clippedMax = 0;
        while (clipped.hasNext()) {
            StepResult r = clipped.step(false);
            assertTrue(r.finite(), "clipped step " + r.step());
            assertTrue(r.updateL2() <= 0.1 * (1 + 1e-6), "every step is at most lr · c");
            clippedMax = Math.max(clippedMax, r.gradL2());
        }
        assertFalse(clipped.diverged());
        double after = clipped.evaluate(8);
        assertTrue(clippedMax > 10, "the gradients it clipped did explode: " + clippedMax);
        assertTrue(after < before, "trains: held-out MSE " + before + " -> " + after);
        System.out.printf(
                "unclipped max finite gradient %.3g, diverged at step %d; clipped max gradient %.3g, MSE %.4f -> %.4f%n",
                maxGrad, plain.stepsDone(), clippedMax, before, after);
    }
}
