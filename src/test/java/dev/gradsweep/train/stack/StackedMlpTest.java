package dev.gradsweep.train.stack;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs trained in one stack record the same numbers as the same runs trained one by one through DL4J. */
class StackedMlpTest {
    static final int STEPS = 5;

    static RunConfig run(String act, String init, TrainSpec.Optimizer opt, double lr, String clip, int warmup, long seed, TaskSpec task) {
        return new RunConfig("s", 4, 6, Activation.parse(act), Init.parse(init), Norm.NONE, Placement.NA, Skip.NONE, task,
                new TrainSpec(STEPS, 8, opt, lr, clip, TrainSpec.DType.FLOAT64, warmup, TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS), seed);
    }

    static RunConfig run(String act, String init, double lr, long seed, TaskSpec task) {
        return run(act, init, TrainSpec.Optimizer.SGD, lr, "none", 0, seed, task);
    }

    static TaskSpec task(TaskSpec.Objective objective) {
        return objective == TaskSpec.Objective.REGRESSION
                ? new TaskSpec(TaskSpec.Kind.TEACHER, 5, 2, 64, objective, null, null, List.of())
                : new TaskSpec(TaskSpec.Kind.SPIRALS, 2, 2, 64, objective, null, null, List.of());
    }

    @ParameterizedTest
    @CsvSource({"sigmoid,REGRESSION", "tanh,CLASSIFICATION", "relu,REGRESSION"})
    void stackedStatisticsEqualOneByOne(String act, TaskSpec.Objective objective) {
        TaskSpec task = task(objective);
        // the third run overflows at once (weights 1e300); it must not disturb the other two
        List<RunConfig> runs = List.of(run(act, "xavier", 0.1, 1, task), run(act, "he", 0.05, 2, task), run(act, "constant:1e300", 0.1, 3, task));
        List<MemoryRecorder> alone = assertStackEqualsOneByOne(runs, 2);
        assertTrue(alone.get(2).steps.size() < STEPS);
    }

    /**
     * Per-run learning rates, warmups and clip values in one stack of each optimizer; the third run diverges after
     * some updates (a learning rate of 1e200), with optimizer state by then, and must stop alone (ReLU for
     * classification: saturating units keep a softmax finite).
     */
    @ParameterizedTest
    @CsvSource({"ADAM,sigmoid,REGRESSION,norm", "ADAM,relu,CLASSIFICATION,value", "ADAM,relu,REGRESSION,none",
            "MOMENTUM,relu,REGRESSION,norm", "MOMENTUM,tanh,REGRESSION,value", "MOMENTUM,relu,CLASSIFICATION,none",
            "SGD,tanh,REGRESSION,norm", "SGD,sigmoid,REGRESSION,value"})
    void optimizersClippingAndWarmupStackPerRun(TrainSpec.Optimizer opt, String act, TaskSpec.Objective objective, String clip) {
        TaskSpec task = task(objective);
        String[] clips = clip.equals("none") ? new String[]{"none", "none", "none"}
                : clip.equals("norm") ? new String[]{"norm:0.02", "none", "norm:0.5"}   // clipped and unclipped share a stack
                : new String[]{"value:0.002", "value:0.01", "value:1"};
        double lr = opt == TrainSpec.Optimizer.ADAM ? 0.01 : 0.1;
        List<RunConfig> runs = List.of(run(act, "xavier", opt, lr, clips[0], 0, 1, task), run(act, "he", opt, lr / 3, clips[1], 3, 2, task),
                run(act, "xavier", opt, 1e200, clips[2], 2, 3, task));
        List<MemoryRecorder> alone = assertStackEqualsOneByOne(runs, 2);
        assertTrue(alone.get(2).steps.size() >= 2 && alone.get(2).steps.size() < STEPS, "the test needs a run that diverges after an update");
        // the rules must have acted, or the test proves nothing about them
        assertNotEquals(alone.get(1).steps.get(0).lr(), alone.get(1).steps.get(STEPS - 1).lr(), "warmup ramps the second run's lr");
        if (clip.equals("norm"))
            assertTrue(alone.get(0).steps.stream().anyMatch(s -> s.gradL2Total() > 0.02), "the first run's gradient exceeds its clip norm");
        if (clip.equals("value"))
            assertTrue(alone.get(0).params.stream().anyMatch(p -> p.gradMaxAbs() > 0.002), "some gradient element exceeds the first run's bound");
    }

    /** Every activation trains in a stack (DL4J's own forward and backprop), Adam with norm clipping. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyActivationStacks(Activation a) {
        TaskSpec task = task(TaskSpec.Objective.REGRESSION);
        List<RunConfig> runs = List.of(run(a.key, "xavier", TrainSpec.Optimizer.ADAM, 0.01, "norm:0.05", 0, 1, task),
                run(a.key, "he", TrainSpec.Optimizer.ADAM, 0.02, "none", 2, 2, task));
        assertStackEqualsOneByOne(runs, -1);
    }

    @Test
    void onlyRunsOfEqualShapesAndSharedSettingsShareAStack() {
        TaskSpec task = task(TaskSpec.Objective.REGRESSION);
        RunConfig base = run("tanh", "xavier", TrainSpec.Optimizer.ADAM, 0.01, "none", 0, 1, task);
        // differ only in what the stack keeps per run
        for (RunConfig same : List.of(run("tanh", "he", TrainSpec.Optimizer.ADAM, 0.3, "norm:2", 5, 9, task)))
            assertEquals(StackedMlp.stackKey(base), StackedMlp.stackKey(same));
        RunConfig other = new RunConfig("s", 4, 7, Activation.TANH, Init.parse("xavier"), Norm.NONE, Placement.NA, Skip.NONE, task, base.train, 1);
        for (RunConfig diff : List.of(run("relu", "xavier", TrainSpec.Optimizer.ADAM, 0.01, "none", 0, 1, task),
                run("tanh", "xavier", TrainSpec.Optimizer.MOMENTUM, 0.01, "none", 0, 1, task),
                run("tanh", "xavier", TrainSpec.Optimizer.ADAM, 0.01, "value:1", 0, 1, task), other))
            assertNotEquals(StackedMlp.stackKey(base), StackedMlp.stackKey(diff), diff.toString());
        List<RunConfig> mixed = List.of(base, run("tanh", "xavier", TrainSpec.Optimizer.SGD, 0.01, "none", 0, 2, task));
        assertThrows(IllegalArgumentException.class, () -> new StackedMlp(mixed, List.of(Tasks.generate(task, 1), Tasks.generate(task, 2)),
                List.of(new MemoryRecorder(), new MemoryRecorder()), List.of(new RunOutcome(), new RunOutcome())));
    }

    /**
     * Trains {@code runs} as one stack and each alone through DL4J, and checks every recorded number agrees; the run
     * at {@code diverging} (or none, -1) must diverge in both at the same step. Returns the one-by-one recordings.
     */
    static List<MemoryRecorder> assertStackEqualsOneByOne(List<RunConfig> runs, int diverging) {
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
        List<MemoryRecorder> result = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            MemoryRecorder alone = new MemoryRecorder();
            RunOutcome o = Trainer.train(runs.get(r), data.get(r), alone, true);
            result.add(alone);
            MemoryRecorder stacked = (MemoryRecorder) recs.get(r);
            String act = runs.get(r).activation.key + " " + runs.get(r).train.optimizer + " run " + r;
            assertEquals(r == diverging ? RunOutcome.Status.DIVERGED : RunOutcome.Status.OK, o.status, act + ": " + o.error);
            assertEquals(o.status, outs.get(r).status, act);
            assertEquals(o.stepsDone, outs.get(r).stepsDone, act);
            assertEquals(alone.steps.size(), stacked.steps.size(), act);
            assertEquals(alone.params.size(), stacked.params.size(), act);
            assertEquals(alone.layers.size(), stacked.layers.size(), act);
            for (int i = 0; i < alone.steps.size(); i++) {
                MemoryRecorder.StepRow a = alone.steps.get(i), s = stacked.steps.get(i);
                close(a.loss(), s.loss(), act + " loss step " + i);
                close(a.gradL2Total(), s.gradL2Total(), act + " grad_l2_total step " + i);
                close(a.updateL2Total(), s.updateL2Total(), act + " update_l2_total step " + i);
                assertEquals(a.lr(), s.lr(), 0.0, act + " lr step " + i);
            }
            for (int i = 0; i < alone.params.size(); i++) {
                MemoryRecorder.ParamRow a = alone.params.get(i), s = stacked.params.get(i);
                String where = act + " step " + a.step() + " layer " + a.layer() + " " + a.param();
                assertEquals(a.layer(), s.layer());
                assertEquals(a.param(), s.param());
                close(a.gradL2(), s.gradL2(), where + " grad_l2");
                close(a.gradMaxAbs(), s.gradMaxAbs(), where + " grad_max_abs");
                close(a.gradMean(), s.gradMean(), where + " grad_mean", a.gradMeanAbs());
                close(a.paramL2(), s.paramL2(), where + " param_l2");
                close(a.updateL2(), s.updateL2(), where + " update_l2");
                assertEquals(a.nonfinite(), s.nonfinite(), where + " nonfinite");
            }
            for (int i = 0; i < alone.layers.size(); i++) {
                MemoryRecorder.LayerRow a = alone.layers.get(i), s = stacked.layers.get(i);
                close(a.mean(), s.mean(), act + " act_mean " + i);
                close(a.std(), s.std(), act + " act_std " + i);
                assertEquals(a.deadFrac(), s.deadFrac(), 0.0, act + " act_dead_frac " + i);
                assertEquals(a.saturatedFrac(), s.saturatedFrac(), 0.0, act + " act_saturated_frac " + i);
            }
        }
        return result;
    }

    static void close(double expected, double actual, String what) {
        close(expected, actual, what, Math.abs(expected));
    }

    /** float64, different but equivalent op orders: agreement to ~1e-10 of the quantity's scale. */
    static void close(double expected, double actual, String what, double scale) {
        if (Double.isNaN(expected)) assertTrue(Double.isNaN(actual), what + ": expected NaN, got " + actual);
        else assertEquals(expected, actual, 1e-10 * scale + 1e-300, what);
    }
}
