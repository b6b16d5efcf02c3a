package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The classic gradient-flow demo: 50 layers of width 10, float64, one random example, MSE, step 0. Sigmoid with
 * PyTorch's default init vanishes by more than ten orders of magnitude; ReLU with He init keeps the gradient.
 */
class ClassicDemoTest {
    static double firstOverLast(String activation, String init) {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.GAUSS, 10, 10, 1, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TrainSpec train = new TrainSpec(1, 1, TrainSpec.Optimizer.SGD, 0.01, "none", TrainSpec.DType.FLOAT64);
        RunConfig rc = new RunConfig(
                "demo",
                50,
                10,
                Activation.parse(activation),
                Init.parse(init),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                train,
                1);
        MemoryRecorder rec = new MemoryRecorder();
        RunOutcome o = Trainer.train(rc, Tasks.generate(task, 1), rec, true);
        assertEquals(RunOutcome.Status.OK, o.status, o.error);
        assertEquals(51, o.nLayers);
        double first = rec.param(0, 0, "W").gradMeanAbs(),
                last = rec.param(0, 50, "W").gradMeanAbs();
        assertTrue(first > 0, activation + ": first-layer gradient underflowed to 0 in float64");
        return first / last;
    }

    @Test
    void sigmoidVanishesAndReluHeDoesNot() {
        double sigmoid = firstOverLast("sigmoid", "standard");
        double relu = firstOverLast("relu", "he");
        assertTrue(sigmoid < 1e-10, "sigmoid first/last mean |grad| = " + sigmoid);
        assertTrue(relu / sigmoid > 1e20, "relu/he " + relu + " vs sigmoid " + sigmoid);
    }
}
