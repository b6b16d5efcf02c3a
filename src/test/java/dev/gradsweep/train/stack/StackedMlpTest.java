package dev.gradsweep.train.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.GradientProbe;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.train.MemoryRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Runs trained in one stack record the same numbers as the same runs trained one by one through DL4J. */
class StackedMlpTest {
    static final int STEPS = 5;

    /** The stacked engine's test nets: width 6, batch 8, {@link #STEPS} steps. */
    static RunConfig run(
            int depth,
            Skip skip,
            Norm norm,
            Placement placement,
            String act,
            String init,
            TrainSpec train,
            long seed,
            TaskSpec task) {
        return new RunConfig(
                "s", depth, 6, Activation.parse(act), Init.parse(init), norm, placement, skip, task, train, seed);
    }

    static TrainSpec train(
            TrainSpec.Optimizer opt, double lr, String clip, int warmup, double gateBias, TrainSpec.DType dtype) {
        return new TrainSpec(STEPS, 8, opt, lr, clip, dtype, warmup, gateBias);
    }

    /** A plain MLP of depth 4. */
    static RunConfig run(
            String act,
            String init,
            TrainSpec.Optimizer opt,
            double lr,
            String clip,
            int warmup,
            long seed,
            TaskSpec task,
            TrainSpec.DType dtype) {
        TrainSpec train = train(opt, lr, clip, warmup, TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS, dtype);
        return run(4, Skip.NONE, Norm.NONE, Placement.NA, act, init, train, seed, task);
    }

    static RunConfig run(String act, String init, double lr, long seed, TaskSpec task, TrainSpec.DType dtype) {
        return run(act, init, TrainSpec.Optimizer.SGD, lr, "none", 0, seed, task, dtype);
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
        for (TrainSpec.DType dt : TrainSpec.DType.values()) {
            // the third run overflows at once (weights 1e300); it must not disturb the other two
            List<RunConfig> runs = List.of(
                    run(act, "xavier", 0.1, 1, task, dt),
                    run(act, "he", 0.05, 2, task, dt),
                    run(act, "constant:1e300", 0.1, 3, task, dt));
            List<MemoryRecorder> alone = assertStackEqualsOneByOne(runs, 2);
            assertTrue(alone.get(2).steps.size() < STEPS);
        }
    }

    /**
     * Vanishing gradients: weights of N(0, σ²/fan_in) with σ = 1e-6 and 1e-9 shrink the first layer's gradient to
     * ~1e-28 (a normal float32) and below float32's normal range (subnormal), where the tolerance's floor applies.
     */
    @ParameterizedTest
    @CsvSource({"normal:1e-6,1e-20", "normal:1e-9,1e-38"})
    void vanishingGradientsAgreeInBothPrecisions(String init, double below) {
        TaskSpec task = task(TaskSpec.Objective.REGRESSION);
        for (TrainSpec.DType dt : TrainSpec.DType.values()) {
            List<MemoryRecorder> alone = assertStackEqualsOneByOne(
                    List.of(run("sigmoid", init, 0.1, 1, task, dt), run("sigmoid", init, 0.1, 2, task, dt)), -1);
            for (MemoryRecorder m : alone)
                assertTrue(
                        m.param(0, 0, "W").gradL2() < below
                                && m.param(0, 0, "W").gradL2() > 0,
                        dt + " " + init + ": the test needs first-layer " + "gradients below " + below + ", got "
                                + m.param(0, 0, "W").gradL2());
        }
    }

    /**
     * Logits so large that softmax underflows to exactly 0 for labeled classes: the unclipped cross-entropy of the
     * first batch is infinite. DL4J's LossMCXENT clips the softmax output in its loss and trains on; so must the
     * stack, recording the same numbers.
     */
    @ParameterizedTest
    @EnumSource(TrainSpec.DType.class)
    void extremeLogitsAreClippedInTheLossAsDl4jClipsThem(TrainSpec.DType dt) {
        TaskSpec task = task(TaskSpec.Objective.CLASSIFICATION);
        List<RunConfig> runs =
                List.of(run("relu", "normal:100", 1e-9, 1, task, dt), run("relu", "normal:100", 1e-9, 4, task, dt));
        for (RunConfig rc : runs) {
            Batches b = new Batches(
                    Tasks.generate(task, rc.seed), rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
            b.next(); // the first batch both engines train on
            double[] p = NetworkFactory.build(rc)
                    .graph()
                    .outputSingle(b.features)
                    .castTo(DataType.DOUBLE)
                    .data()
                    .asDouble();
            double[] y = b.labels.castTo(DataType.DOUBLE).data().asDouble();
            double unclipped = 0;
            for (int i = 0; i < p.length; i++) if (y[i] != 0) unclipped -= y[i] * Math.log(p[i]);
            assertEquals(
                    Double.POSITIVE_INFINITY,
                    unclipped,
                    "run " + rc.seed + ": the test needs a labeled class whose softmax output is 0");
        }
        List<MemoryRecorder> alone = assertStackEqualsOneByOne(runs, -1);
        for (MemoryRecorder m : alone)
            assertTrue(m.steps.get(0).loss() > Math.log(2), "a saturated wrong class costs more than chance");
    }

    /**
     * Per-run learning rates, warmups and clip values in one stack of each optimizer; the third run diverges after
     * some updates (a learning rate of 1e200, 1e30 in float32), with optimizer state by then, and must stop alone (ReLU for
     * classification: saturating units keep a softmax finite).
     */
    @ParameterizedTest
    @CsvSource({
        "ADAM,sigmoid,REGRESSION,norm",
        "ADAM,relu,CLASSIFICATION,value",
        "ADAM,relu,REGRESSION,none",
        "MOMENTUM,relu,REGRESSION,norm",
        "MOMENTUM,tanh,REGRESSION,value",
        "MOMENTUM,relu,CLASSIFICATION,none",
        "SGD,tanh,REGRESSION,norm",
        "SGD,sigmoid,REGRESSION,value"
    })
    void optimizersClippingAndWarmupStackPerRun(
            TrainSpec.Optimizer opt, String act, TaskSpec.Objective objective, String clip) {
        for (TrainSpec.DType dt : TrainSpec.DType.values())
            optimizersClippingAndWarmupStackPerRun(opt, act, objective, clip, dt);
    }

    static void optimizersClippingAndWarmupStackPerRun(
            TrainSpec.Optimizer opt, String act, TaskSpec.Objective objective, String clip, TrainSpec.DType dt) {
        TaskSpec task = task(objective);
        String[] clips = clip.equals("none")
                ? new String[] {"none", "none", "none"}
                : clip.equals("norm")
                        ? new String[] {"norm:0.02", "none", "norm:0.5"} // clipped and unclipped share a stack
                        : new String[] {"value:0.002", "value:0.01", "value:1"};
        double lr = opt == TrainSpec.Optimizer.ADAM ? 0.01 : 0.1;
        double wild = dt == TrainSpec.DType.FLOAT64 ? 1e200 : 1e30; // a float32 learning rate must be a float
        List<RunConfig> runs = List.of(
                run(act, "xavier", opt, lr, clips[0], 0, 1, task, dt),
                run(act, "he", opt, lr / 3, clips[1], 3, 2, task, dt),
                run(act, "xavier", opt, wild, clips[2], 2, 3, task, dt));
        List<MemoryRecorder> alone = assertStackEqualsOneByOne(runs, 2);
        assertTrue(
                alone.get(2).steps.size() >= 2 && alone.get(2).steps.size() < STEPS,
                "the test needs a run that diverges after an update");
        // the rules must have acted, or the test proves nothing about them
        assertNotEquals(
                alone.get(1).steps.get(0).lr(),
                alone.get(1).steps.get(STEPS - 1).lr(),
                "warmup ramps the second run's lr");
        if (clip.equals("norm"))
            assertTrue(
                    alone.get(0).steps.stream().anyMatch(s -> s.gradL2Total() > 0.02),
                    "the first run's gradient exceeds its clip norm");
        if (clip.equals("value"))
            assertTrue(
                    alone.get(0).params.stream().anyMatch(p -> p.gradMaxAbs() > 0.002),
                    "some gradient element exceeds the first run's bound");
    }

    /** Every activation trains in a stack (DL4J's own forward and backprop), Adam with norm clipping. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyActivationStacks(Activation a) {
        TaskSpec task = task(TaskSpec.Objective.REGRESSION);
        for (TrainSpec.DType dt : TrainSpec.DType.values()) {
            List<RunConfig> runs = List.of(
                    run(a.key, "xavier", TrainSpec.Optimizer.ADAM, 0.01, "norm:0.05", 0, 1, task, dt),
                    run(a.key, "he", TrainSpec.Optimizer.ADAM, 0.02, "none", 2, 2, task, dt));
            assertStackEqualsOneByOne(runs, -1);
        }
    }

    @Test
    void onlyRunsOfEqualShapesAndSharedSettingsShareAStack() {
        TaskSpec task = task(TaskSpec.Objective.REGRESSION);
        TrainSpec.DType f64 = TrainSpec.DType.FLOAT64;
        RunConfig base = run("tanh", "xavier", TrainSpec.Optimizer.ADAM, 0.01, "none", 0, 1, task, f64);
        // differ only in what the stack keeps per run
        for (RunConfig same : List.of(run("tanh", "he", TrainSpec.Optimizer.ADAM, 0.3, "norm:2", 5, 9, task, f64)))
            assertEquals(StackedMlp.stackKey(base), StackedMlp.stackKey(same));
        RunConfig other = new RunConfig(
                "s",
                4,
                7,
                Activation.TANH,
                Init.parse("xavier"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                base.train,
                1);
        for (RunConfig diff : List.of(
                run("relu", "xavier", TrainSpec.Optimizer.ADAM, 0.01, "none", 0, 1, task, f64),
                run("tanh", "xavier", TrainSpec.Optimizer.MOMENTUM, 0.01, "none", 0, 1, task, f64),
                run("tanh", "xavier", TrainSpec.Optimizer.ADAM, 0.01, "value:1", 0, 1, task, f64),
                other)) assertNotEquals(StackedMlp.stackKey(base), StackedMlp.stackKey(diff), diff.toString());
        List<RunConfig> mixed =
                List.of(base, run("tanh", "xavier", TrainSpec.Optimizer.SGD, 0.01, "none", 0, 2, task, f64));
        assertThrows(
                IllegalArgumentException.class,
                () -> new StackedMlp(
                        mixed,
                        List.of(Tasks.generate(task, 1), Tasks.generate(task, 2)),
                        List.of(new MemoryRecorder(), new MemoryRecorder()),
                        List.of(new RunOutcome(), new RunOutcome())));
    }

    /**
     * Trains {@code runs} as one stack and each alone through DL4J, and checks every recorded number agrees (steps,
     * params, layers and the runs columns the engines compute; not timings or the engine name); the run at
     * {@code diverging} (or none, -1) must diverge in both at the same step. Returns the one-by-one recordings.
     */
    static List<MemoryRecorder> assertStackEqualsOneByOne(List<RunConfig> runs, int diverging) {
        return assertStackEqualsOneByOne(runs, diverging, Agreement.MLP_FLOAT32);
    }

    /**
     * Parameter arrays whose gradient is exactly 0 in exact arithmetic, so that both engines record only rounding
     * residue there: a bias whose output reaches the loss only through batch norms. Batch norm's backward
     * subtracts the batch mean of ∂L/∂x̂ (and of its product with x̂), so the gradient it passes back sums to 0 over
     * each run's batch, unit by unit; a bias right before it, or one whose shift every later path carries to a batch
     * norm unchanged, sums that gradient over the batch. In residual and ReZero nets that is fc2's bias (post: the
     * sum is normalised; pre: the skips carry the shift to the final norm, and every block's pre norm removes it)
     * and, with pre placement, the stem's. Highway gates scale the skip per example, and plain nets' dense layers
     * before a norm have no bias.
     */
    static boolean exactlyZeroGradient(RunConfig rc, String layerName, String param) {
        return rc.norm == Norm.BATCH
                && (rc.skip == Skip.RESIDUAL || rc.skip == Skip.REZERO)
                && param.equals("b")
                && (layerName.endsWith(".fc2") || (layerName.equals("stem") && rc.placement == Placement.PRE));
    }

    /** The same, with float32's relative tolerance {@code rel32} ({@link Agreement} derives the MLPs'). */
    static List<MemoryRecorder> assertStackEqualsOneByOne(List<RunConfig> runs, int diverging, double rel32) {
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
            RunConfig rc = runs.get(r);
            MemoryRecorder alone = new MemoryRecorder();
            Net[] trained = new Net[1];
            RunOutcome o = Trainer.train(rc, data.get(r), alone, true, n -> trained[0] = n);
            result.add(alone);
            MemoryRecorder stacked = (MemoryRecorder) recs.get(r);
            RunOutcome so = outs.get(r);
            Agreement ag = new Agreement(rc.train.dtype, o.nParams, rel32);
            String act = rc.activation.key + " " + rc.train.optimizer + " " + rc.train.dtype + " run " + r;
            assertEquals(
                    r == diverging ? RunOutcome.Status.DIVERGED : RunOutcome.Status.OK, o.status, act + ": " + o.error);
            assertEquals(o.status, so.status, act + ": " + so.error);
            assertEquals(o.stepsDone, so.stepsDone, act);
            assertEquals(alone.steps.size(), stacked.steps.size(), act);
            assertEquals(alone.params.size(), stacked.params.size(), act);
            assertEquals(alone.layers.size(), stacked.layers.size(), act);
            // At the step where a run overflows, an overflowed statistic is NaN or ±∞ depending on rounding residue
            // (e.g. x − μ of a batch-constant column times γ ≈ 1e298): there the engines must agree that it overflowed.
            ag.overflowStep = o.status == RunOutcome.Status.DIVERGED ? alone.steps.size() - 1 : -1;
            // Exactly-zero gradients: what the optimizer makes of the two engines' residues differs (Adam divides it
            // by √v), and the stacked run's update of such an array differs from DL4J's by at most the sum of both
            // updates' norms (triangle inequality). The noise bounds: per step, those updates' norms (both engines,
            // summed over the arrays); per array, their running sum over the steps before.
            int n = alone.steps.size();
            double[] noise = new double[n];
            java.util.Map<String, double[]> drift = new java.util.HashMap<>();
            for (int i = 0; i < alone.params.size(); i++) {
                MemoryRecorder.ParamRow a = alone.params.get(i), s = stacked.params.get(i);
                if (!exactlyZeroGradient(rc, a.layerName(), a.param())) continue;
                double both = zeroIfNaN(a.updateL2()) + zeroIfNaN(s.updateL2());
                noise[a.step()] += both;
                drift.computeIfAbsent(a.layerName() + "_" + a.param(), k -> new double[n + 1])[a.step() + 1] = both;
            }
            for (double[] d : drift.values()) for (int t = 1; t <= n; t++) d[t] += d[t - 1];
            for (int i = 0; i < n; i++) {
                MemoryRecorder.StepRow a = alone.steps.get(i), s = stacked.steps.get(i);
                String where = act + " step " + i;
                assertEquals(a.step(), s.step(), where);
                ag.step = i;
                ag.close("steps.loss", a.loss(), s.loss(), where);
                ag.close("steps.grad_l2_total", a.gradL2Total(), s.gradL2Total(), where);
                ag.close(
                        "steps.update_l2_total",
                        a.updateL2Total(),
                        s.updateL2Total(),
                        Math.abs(a.updateL2Total()),
                        noise[i],
                        where);
                assertEquals(a.lr(), s.lr(), 0.0, where + " lr");
            }
            for (int i = 0; i < alone.params.size(); i++) {
                MemoryRecorder.ParamRow a = alone.params.get(i), s = stacked.params.get(i);
                String where = act + " step " + a.step() + " layer " + a.layer() + " " + a.param();
                assertEquals(a.step(), s.step(), where);
                assertEquals(a.layer(), s.layer(), where);
                assertEquals(a.layerName(), s.layerName(), where);
                assertEquals(a.param(), s.param(), where);
                assertEquals(a.size(), s.size(), where);
                ag.step = a.step();
                if (exactlyZeroGradient(rc, a.layerName(), a.param())) {
                    // residue: on the scale of the gradient flowing through the net at that step
                    double scale = alone.steps.get(a.step()).gradL2Total();
                    ag.residue("params.grad_l2 (exact 0)", a.gradL2(), s.gradL2(), scale, where);
                    ag.residue("params.grad_max_abs (exact 0)", a.gradMaxAbs(), s.gradMaxAbs(), scale, where);
                    double[] d = drift.get(a.layerName() + "_" + a.param());
                    ag.close("params.param_l2", a.paramL2(), s.paramL2(), Math.abs(a.paramL2()), d[a.step()], where);
                } else {
                    ag.close("params.grad_l2", a.gradL2(), s.gradL2(), where);
                    ag.close("params.grad_mean_abs", a.gradMeanAbs(), s.gradMeanAbs(), where);
                    ag.close("params.grad_max_abs", a.gradMaxAbs(), s.gradMaxAbs(), where);
                    // a mean of mixed signs: its rounding error scales with the mean magnitude, not with the mean
                    ag.close("params.grad_mean", a.gradMean(), s.gradMean(), a.gradMeanAbs(), where);
                    ag.close("params.param_l2", a.paramL2(), s.paramL2(), where);
                    ag.close("params.update_l2", a.updateL2(), s.updateL2(), where);
                    ag.fraction("params.grad_zero_frac", a.zeroFrac(), s.zeroFrac(), a.size(), where);
                }
                assertEquals(a.nonfinite(), s.nonfinite(), where + " nonfinite");
            }
            boolean overflowed = false; // at the overflow step, once a measured output (in forward order) overflowed
            for (int i = 0; i < alone.layers.size(); i++) {
                MemoryRecorder.LayerRow a = alone.layers.get(i), s = stacked.layers.get(i);
                String where = act + " step " + a.step() + " " + a.name();
                assertEquals(a.step(), s.step(), where);
                assertEquals(a.layer(), s.layer(), where);
                assertEquals(a.name(), s.name(), where);
                assertEquals(a.kind(), s.kind(), where);
                ag.step = a.step();
                // the mean's rounding error scales with the activations' RMS, not with the mean
                double rms = Math.sqrt(a.mean() * a.mean() + a.std() * a.std());
                ag.close("layers.act_mean", a.mean(), s.mean(), rms, where);
                // which of its elements overflowed, and so this output's counts and every later output of the step,
                // depend on residue as well
                if (a.step() == ag.overflowStep
                        && (overflowed || !Double.isFinite(a.mean()) || !Double.isFinite(s.mean()))) {
                    overflowed = true;
                    continue;
                }
                ag.close("layers.act_std", a.std(), s.std(), where);
                int units = (int) (rc.train.batch * (long) rc.width);
                ag.fraction("layers.act_saturated_frac", a.saturatedFrac(), s.saturatedFrac(), units, where);
                ag.fraction("layers.act_dead_frac", a.deadFrac(), s.deadFrac(), rc.width, where);
                ag.fraction("layers.act_zero_frac", a.zeroFrac(), s.zeroFrac(), units, where);
                ag.close("layers.act_slope_sq_mean", a.slopeSqMean(), s.slopeSqMean(), where);
                ag.close("layers.act_grad_l2", a.outGradL2(), s.outGradL2(), where);
            }
            ag.step = -1;
            ag.close("runs.loss_first", o.lossFirst, so.lossFirst, act);
            ag.close("runs.loss_last", o.lossLast, so.lossLast, act);
            ag.close("runs.loss_best", o.lossBest, so.lossBest, act);
            assertEquals(o.lossWindow, so.lossWindow, act + " loss_window");
            assertEquals(o.lossBaseline, so.lossBaseline, 0.0, act + " loss_baseline (the same data)");
            // gap_closed = 1 − loss_last / baseline: its error is loss_last's, relative to loss_last / baseline
            ag.close("runs.gap_closed", o.gapClosed(), so.gapClosed(), o.lossLast / o.lossBaseline, act);
            assertEquals(o.nParams, so.nParams, act);
            assertEquals(o.nLayers, so.nLayers, act);
            // a diverged run's parameters are the stack's zeros from then on; the others end where DL4J's end, batch
            // norm's running statistics included. An exactly-zero-gradient bias shifts every batch norm input it
            // reaches by its drift (times a ReZero gain on the way, below max(1, |α|)), and so the running means.
            double gain = 1, shift = 0;
            for (double[] d : drift.values()) shift += d[n];
            for (int i = 0; i < alone.params.size(); i++)
                if (alone.params.get(i).param().equals("alpha"))
                    gain = Math.max(
                            gain,
                            Math.max(
                                    alone.params.get(i).paramL2(),
                                    stacked.params.get(i).paramL2()));
            if (o.status == RunOutcome.Status.OK)
                for (Segment sg : GradientProbe.segmentsOf(trained[0])) {
                    double[] d = drift.get(sg.layerName + "_" + sg.param);
                    ag.array(
                            sg.gradient ? "final params" : "final running " + sg.param,
                            trained[0].graph().getLayer(sg.layerName).getParam(sg.param),
                            stack.param(r, sg.layerName, sg.param),
                            d != null ? d[n] : sg.param.equals("mean") ? gain * shift : 0,
                            act + " " + sg.layerName + "_" + sg.param);
                }
        }
        return result;
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    /**
     * Per-dtype agreement of a stacked run with its one-by-one DL4J run: |stacked − DL4J| ≤ rel · (scale + floor).
     *
     * float64: rel = 1e-10 (the engines' different but equivalent op orders agree to ~1e-14 here).
     *
     * float32: rel = 1e-5 ≈ 170 u (unit roundoff u = 2^-24). A recorded number is reached through one step's forward
     * and backward pass: 2 × 5 layers, each a sum of at most 8 products (width 6, inputs 5, batch 8) plus ~3
     * elementwise ops (bias, activation, its derivative; softmax and loss at the output), about 110 roundings in
     * the longest dependency chain; a sum of n rounded terms is off by at most n·u relative (first order). Errors of
     * earlier steps reach later ones only through updates that are a small fraction of the parameters (lr·|g|), and
     * the statistics themselves accumulate in double. So 110 u ≈ 6.6e-6 per step, rounded up to 1e-5. Measured
     * worst over every column and test of this class: 2.6e-6 (44 u, grad_max_abs); counts (zero, dead, saturated
     * fractions, nonfinite) agree exactly, and are required to.
     *
     * The floor: a float32 value keeps ~u relative precision down to Float.MIN_NORMAL (1.2e-38), so vanishing
     * gradients of 1e-30 are compared relatively like any other; below it (subnormal) the spacing is fixed at
     * 2^-149 = 2u·MIN_NORMAL, so each of the n elements a statistic reduces may be off by rel·MIN_NORMAL in absolute
     * terms: floor = n_params · MIN_NORMAL, n_params bounding every reduction's element count.
     */
    static final class Agreement {
        /** float32's rel for the plain MLPs of this class, derived above. */
        static final double MLP_FLOAT32 = 1e-5;

        final TrainSpec.DType dtype;
        final double floor, rel32;
        /** Largest |stacked − DL4J| / scale seen per column. */
        static final java.util.Map<String, Double> WORST = new java.util.TreeMap<>();

        Agreement(TrainSpec.DType dtype, long nParams, double rel32) {
            this.dtype = dtype;
            this.rel32 = rel32;
            this.floor = dtype == TrainSpec.DType.FLOAT64 ? 1e-300 : nParams * (double) Float.MIN_NORMAL;
        }

        double rel() {
            return dtype == TrainSpec.DType.FLOAT64 ? 1e-10 : rel32;
        }

        /** The step being compared, and the step at which the run overflowed (-1: none). */
        int step = -1, overflowStep = -1;

        void close(String column, double expected, double actual, String where) {
            close(column, expected, actual, Math.abs(expected), where);
        }

        void close(String column, double expected, double actual, double scale, String where) {
            close(column, expected, actual, scale, 0, where);
        }

        /** |stacked − DL4J| ≤ rel · (scale + floor) + noise (noise: a bound derived by the caller). */
        void close(String column, double expected, double actual, double scale, double noise, String where) {
            if (step >= 0 && step == overflowStep && !(Double.isFinite(expected) && Double.isFinite(actual))) {
                assertTrue(
                        !Double.isFinite(expected) && !Double.isFinite(actual),
                        where + " " + column + ": overflowed in one engine only: " + expected + " vs " + actual);
                return;
            }
            if (Double.isNaN(expected)) {
                assertTrue(Double.isNaN(actual), where + " " + column + ": expected NaN, got " + actual);
                return;
            }
            if (expected == actual) return; // equal infinities and zeros
            if (!Double.isFinite(scale)) scale = Math.abs(expected); // e.g. an RMS whose square overflowed
            WORST.merge(
                    dtype + " " + column,
                    Math.max(0, Math.abs(expected - actual) - noise) / (scale + floor),
                    Math::max);
            assertEquals(expected, actual, rel() * (scale + floor) + noise, where + " " + column);
        }

        /** Both engines' values of an exactly-zero quantity are rounding residue: |value| ≤ rel · (scale + floor). */
        void residue(String column, double expected, double actual, double scale, String where) {
            if (step == overflowStep
                    && !(Double.isFinite(expected) && Double.isFinite(actual) && Double.isFinite(scale))) {
                assertTrue(
                        Double.isFinite(expected) == Double.isFinite(actual),
                        where + " " + column + ": overflowed in one engine only: " + expected + " vs " + actual);
                return;
            }
            WORST.merge(
                    dtype + " " + column, Math.max(Math.abs(expected), Math.abs(actual)) / (scale + floor), Math::max);
            assertTrue(
                    Math.abs(expected) <= rel() * (scale + floor) && Math.abs(actual) <= rel() * (scale + floor),
                    where + " " + column + ": DL4J " + expected + ", stacked " + actual + ", not residue of " + scale);
        }

        /** Two arrays of one parameter: ‖stacked − DL4J‖ ≤ rel · (‖DL4J‖ + floor) + noise, in double. */
        void array(String column, INDArray expected, INDArray actual, double noise, String where) {
            double[] e =
                    expected.castTo(DataType.DOUBLE).reshape(expected.length()).toDoubleVector();
            double[] a = actual.castTo(DataType.DOUBLE).reshape(actual.length()).toDoubleVector();
            assertEquals(e.length, a.length, where + " " + column + " length");
            double diff = 0, norm = 0;
            for (int i = 0; i < e.length; i++) {
                diff += (e[i] - a[i]) * (e[i] - a[i]);
                norm += e[i] * e[i];
            }
            close(column, 0, Math.sqrt(diff), Math.sqrt(norm), noise, where);
        }

        /** A fraction of n counted elements: counts agree exactly. */
        void fraction(String column, double expected, double actual, int n, String where) {
            if (Double.isNaN(expected)) {
                assertTrue(Double.isNaN(actual), where + " " + column + ": expected NaN, got " + actual);
                return;
            }
            WORST.merge(dtype + " " + column + " (elements)", Math.abs(expected - actual) * n, Math::max);
            assertEquals(expected, actual, 0.0, where + " " + column);
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void printWorst() {
        Agreement.WORST.forEach((k, v) -> System.out.println("WORST " + k + " " + v));
    }
}
