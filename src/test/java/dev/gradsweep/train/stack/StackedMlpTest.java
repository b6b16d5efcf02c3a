package dev.gradsweep.train.stack;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.RunRecorder;
import dev.gradsweep.train.Trainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs trained in one stack record the same numbers as the same runs trained one by one through DL4J. */
class StackedMlpTest {
    static final int STEPS = 5;

    static RunConfig run(String act, String init, double lr, long seed, TaskSpec task) {
        return new RunConfig("s", 4, 6, Activation.parse(act), Init.parse(init), "none", "n/a", "none", task,
                new TrainSpec(STEPS, 8, TrainSpec.Optimizer.SGD, lr, "none", TrainSpec.DType.FLOAT64), seed);
    }

    @ParameterizedTest
    @CsvSource({"sigmoid,REGRESSION", "tanh,CLASSIFICATION", "relu,REGRESSION"})
    void stackedStatisticsEqualOneByOne(String act, TaskSpec.Objective objective) {
        TaskSpec task = objective == TaskSpec.Objective.REGRESSION
                ? new TaskSpec(TaskSpec.Kind.TEACHER, 5, 2, 64, objective, null, null, List.of())
                : new TaskSpec(TaskSpec.Kind.SPIRALS, 2, 2, 64, objective, null, null, List.of());
        // the third run overflows at once (weights 1e300); it must not disturb the other two
        List<RunConfig> runs = List.of(run(act, "xavier", 0.1, 1, task), run(act, "he", 0.05, 2, task), run(act, "constant:1e300", 0.1, 3, task));
        List<TaskData> data = new ArrayList<>();
        List<RunRecorder> recs = new ArrayList<>();
        List<RunOutcome> outs = new ArrayList<>();
        for (RunConfig r : runs) {
            data.add(Tasks.generate(r.task, r.seed));
            recs.add(new MemoryRecorder());
            outs.add(new RunOutcome());
        }
        StackedMlp stack = new StackedMlp(runs, data, recs, outs);
        while (stack.hasNext()) stack.step();
        for (int r = 0; r < 2; r++) {
            MemoryRecorder alone = new MemoryRecorder();
            RunOutcome o = Trainer.train(runs.get(r), data.get(r), alone, true);
            MemoryRecorder stacked = (MemoryRecorder) recs.get(r);
            assertEquals(RunOutcome.Status.OK, outs.get(r).status);
            assertEquals(o.stepsDone, outs.get(r).stepsDone);
            assertEquals(alone.params.size(), stacked.params.size());
            assertEquals(alone.layers.size(), stacked.layers.size());
            for (int i = 0; i < alone.steps.size(); i++) {
                close(alone.steps.get(i).loss(), stacked.steps.get(i).loss(), "loss step " + i);
                close(alone.steps.get(i).gradL2Total(), stacked.steps.get(i).gradL2Total(), "grad_l2_total step " + i);
                close(alone.steps.get(i).updateL2Total(), stacked.steps.get(i).updateL2Total(), "update_l2_total step " + i);
            }
            for (int i = 0; i < alone.params.size(); i++) {
                MemoryRecorder.ParamRow a = alone.params.get(i), s = stacked.params.get(i);
                String where = act + " run " + r + " step " + a.step() + " layer " + a.layer() + " " + a.param();
                assertEquals(a.layer(), s.layer());
                assertEquals(a.param(), s.param());
                close(a.gradL2(), s.gradL2(), where + " grad_l2");
                close(a.gradMaxAbs(), s.gradMaxAbs(), where + " grad_max_abs");
                close(a.gradMean(), s.gradMean(), where + " grad_mean", a.gradMeanAbs());
                close(a.paramL2(), s.paramL2(), where + " param_l2");
                close(a.updateL2(), s.updateL2(), where + " update_l2");
            }
            for (int i = 0; i < alone.layers.size(); i++) {
                MemoryRecorder.LayerRow a = alone.layers.get(i), s = stacked.layers.get(i);
                close(a.mean(), s.mean(), act + " act_mean " + i);
                close(a.std(), s.std(), act + " act_std " + i);
                assertEquals(a.deadFrac(), s.deadFrac(), 0.0);
            }
        }
        RunOutcome alone = Trainer.train(runs.get(2), data.get(2), new MemoryRecorder(), true);
        assertEquals(RunOutcome.Status.DIVERGED, alone.status, "weights of 1e300 must overflow");
        assertEquals(alone.status, outs.get(2).status);
        assertEquals(alone.stepsDone, outs.get(2).stepsDone);
        assertTrue(outs.get(2).stepsDone < STEPS);
    }

    static void close(double expected, double actual, String what) {
        close(expected, actual, what, Math.abs(expected));
    }

    /** float64, different but equivalent op orders: agreement to ~1e-10 of the quantity's scale. */
    static void close(double expected, double actual, String what, double scale) {
        assertEquals(expected, actual, 1e-10 * scale + 1e-300, what);
    }
}
