package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.stack.StackedMlp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The portable path (ND4J ops, one transfer of the results) records what the host-direct path records, in both
 * engines, for every architecture, optimizer and activation, and makes exactly one device-to-host transfer per step
 * (counted by the path itself), norm clipping and a diverging run included.
 *
 * <p>Tolerance, float64 and float32 alike: |portable − host| ≤ 1e-12 · scale. Both paths train on bit-identical arrays
 * (the minibatches and the parameter step give the same values; without norm clipping the losses are required to be
 * exactly equal, with it the clip factor comes from the global gradient norm, a statistic, and may differ in its
 * last bit) and widen every value to double before squaring or summing, so a statistic differs only by the order of
 * its double additions: at most n · 2^-53 ≈ 1e-13 relative to Σ|terms| for the n ≤ 10^3 elements of a parameter array here.
 * For sums of terms of both signs the scale is therefore the magnitude (mean |g| for the gradient's mean, the RMS
 * for an activation mean), not the result. Counts (zeros, non-finite, saturated, dead) must agree exactly.
 */
class PortablePathTest {
    static final double REL = 1e-12;
    static final int STEPS = 4;

    static TaskSpec regression() {
        return TestNets.regression(TaskSpec.Kind.TEACHER, 5, 2, 64);
    }

    static RunConfig config(
            int depth,
            Activation act,
            String init,
            String norm,
            String placement,
            String skip,
            TrainSpec.Optimizer opt,
            String clip,
            TrainSpec.DType dt) {
        double lr = opt == TrainSpec.Optimizer.ADAM ? 0.01 : 0.05;
        TrainSpec t = new TrainSpec(STEPS, 16, opt, lr, clip, dt, 1, TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS);
        return TestNets.config(depth, 8, act, init, norm, placement, skip, regression(), t, 3);
    }

    static MemoryRecorder trainLoop(RunConfig rc, TrainingMemory memory, RunOutcome out) {
        MemoryRecorder rec = new MemoryRecorder();
        TrainLoop loop =
                new TrainLoop(NetworkFactory.build(rc), rc, Tasks.generate(rc.task, rc.seed), rec, true, out, memory);
        while (loop.hasNext()) loop.step();
        return rec;
    }

    static void assertLoopAgrees(RunConfig rc) {
        RunOutcome ho = new RunOutcome(), po = new RunOutcome();
        TrainingMemory hm = TrainingMemory.hostDirect(), pm = TrainingMemory.portable();
        MemoryRecorder host = trainLoop(rc, hm, ho);
        MemoryRecorder portable = trainLoop(rc, pm, po);
        assertEquals(ho.status, po.status, rc + ": " + po.error);
        assertEquals(0, hm.transfers(), "the host-direct path has nothing to transfer");
        assertEquals(portable.steps.size(), pm.transfers(), rc + ": one device-to-host transfer per step");
        assertSameRows(host, portable, !rc.train.clip.startsWith("norm"), rc.toString());
        if (rc.train.clip.startsWith("norm"))
            assertTrue(
                    host.steps.stream().anyMatch(s -> s.gradL2Total() > TrainSpec.clipValue(rc.train.clip)),
                    rc + ": the clip must act, or the test proves nothing about it");
    }

    @ParameterizedTest
    @CsvSource({
        "none,n/a,none", "layer,pre,none", "layer,post,none", "batch,post,none", "batch,pre,none",
        "none,n/a,residual", "layer,pre,residual", "layer,post,residual", "none,n/a,highway", "layer,pre,highway",
        "none,n/a,rezero", "layer,post,rezero"
    })
    void everyArchitectureAndOptimizerAgree(String norm, String placement, String skip) {
        for (TrainSpec.DType dt : TrainSpec.DType.values())
            for (TrainSpec.Optimizer opt : TrainSpec.Optimizer.values())
                assertLoopAgrees(config(
                        3,
                        Activation.TANH,
                        "xavier",
                        norm,
                        placement,
                        skip,
                        opt,
                        opt == TrainSpec.Optimizer.MOMENTUM ? "norm:0.5" : "none",
                        dt));
    }

    /** Every activation's saturated, dead, zero fractions and slope² come out of the device formulas as on the host. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyActivationAgrees(Activation a) {
        for (TrainSpec.DType dt : TrainSpec.DType.values())
            assertLoopAgrees(config(3, a, "he", "none", "n/a", "none", TrainSpec.Optimizer.SGD, "none", dt));
    }

    /**
     * Gradients of σ = 1e-9 weights vanish to ~1e-38 in float32 (at and below its normal range), where float32
     * squares underflow to 0: the portable path must still count them, squared in double, exactly as the host does.
     */
    @Test
    void vanishingFloat32GradientsAreNotLost() {
        RunConfig rc = config(
                4,
                Activation.SIGMOID,
                "normal:1e-9",
                "none",
                "n/a",
                "none",
                TrainSpec.Optimizer.SGD,
                "none",
                TrainSpec.DType.FLOAT32);
        RunOutcome o = new RunOutcome();
        MemoryRecorder portable = trainLoop(rc, TrainingMemory.portable(), o);
        MemoryRecorder.ParamRow w0 = portable.param(0, 0, "W");
        assertTrue(
                w0.gradL2() > 0 && w0.gradL2() < 1e-30,
                "the test needs a first-layer gradient far below float32's squares, got " + w0.gradL2());
        assertTrue(
                w0.gradMaxAbs() * w0.gradMaxAbs() < Float.MIN_VALUE, "its largest element squared underflows float32");
        assertTrue(w0.zeroFrac() < 1, "tiny gradients are not zeros");
        assertLoopAgrees(rc);
    }

    /**
     * A run that diverges: with one transfer per step the portable loop learns that its gradient was non-finite only
     * after the update; it must still end at the same step with the same rows as the host path.
     */
    @Test
    void aDivergingRunEndsAtTheSameStep() {
        for (TrainSpec.DType dt : TrainSpec.DType.values()) {
            TrainSpec t = new TrainSpec(
                    STEPS,
                    16,
                    TrainSpec.Optimizer.SGD,
                    dt == TrainSpec.DType.FLOAT64 ? 1e200 : 1e30,
                    "none",
                    dt,
                    0,
                    TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS);
            RunConfig rc = TestNets.config(3, 8, Activation.TANH, "xavier", "none", "n/a", "none", regression(), t, 3);
            RunOutcome o = new RunOutcome();
            trainLoop(rc, TrainingMemory.hostDirect(), o);
            assertEquals(RunOutcome.Status.DIVERGED, o.status, "the test needs a run that diverges");
            assertTrue(o.stepsDone > 1 && o.stepsDone < STEPS, "after an update, before the end: " + o.stepsDone);
            assertLoopAgrees(rc);
        }
    }

    /**
     * Runs of one stack, each optimizer and both clip kinds, a third run diverging, plain and block nets: the stacked
     * engine through both paths.
     */
    @ParameterizedTest
    @CsvSource({
        "SGD,norm,sigmoid,none,n/a,none",
        "MOMENTUM,value,tanh,none,n/a,none",
        "ADAM,norm,relu,none,n/a,none",
        "ADAM,none,sigmoid,none,n/a,none",
        "ADAM,none,gelu,layer,pre,residual",
        "SGD,value,tanh,layer,post,rezero",
        "MOMENTUM,none,relu,layer,pre,highway",
        "ADAM,value,relu,layer,n/a,none",
        "MOMENTUM,norm,tanh,batch,n/a,none",
        "ADAM,value,relu,batch,pre,residual",
        "SGD,none,gelu,batch,post,highway"
    })
    void stackedEngineAgrees(
            TrainSpec.Optimizer opt, String clip, String act, String norm, String placement, String skip) {
        for (TrainSpec.DType dt : TrainSpec.DType.values()) {
            String[] clips = clip.equals("none")
                    ? new String[] {"none", "none", "none"}
                    : clip.equals("norm")
                            ? new String[] {"norm:0.02", "none", "norm:0.5"}
                            : new String[] {"value:0.002", "value:0.01", "value:1"};
            double wild = dt == TrainSpec.DType.FLOAT64 ? 1e200 : 1e30;
            List<RunConfig> runs = List.of(
                    stackRun(act, "xavier", opt, 0.05, clips[0], 1, dt, norm, placement, skip),
                    stackRun(act, "he", opt, 0.02, clips[1], 2, dt, norm, placement, skip),
                    stackRun(act, "xavier", opt, wild, clips[2], 3, dt, norm, placement, skip));
            List<MemoryRecorder> host = stack(runs, TrainingMemory.hostDirect()),
                    portable = stack(runs, TrainingMemory.portable());
            for (int r = 0; r < runs.size(); r++)
                assertSameRows(host.get(r), portable.get(r), !clips[r].startsWith("norm"), runs.get(r) + " in a stack");
            assertTrue(
                    host.get(2).steps.size() < STEPS,
                    "the third run must diverge, or the test proves nothing about stopping");
        }
    }

    static RunConfig stackRun(
            String act,
            String init,
            TrainSpec.Optimizer opt,
            double lr,
            String clip,
            long seed,
            TrainSpec.DType dt,
            String norm,
            String placement,
            String skip) {
        TrainSpec t = new TrainSpec(STEPS, 8, opt, lr, clip, dt, 2, TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS);
        return TestNets.config(4, 6, Activation.parse(act), init, norm, placement, skip, regression(), t, seed);
    }

    static List<MemoryRecorder> stack(List<RunConfig> runs, TrainingMemory memory) {
        List<TaskData> data = new ArrayList<>();
        List<RunRecorder> recs = new ArrayList<>();
        List<MemoryRecorder> out = new ArrayList<>();
        List<RunOutcome> outs = new ArrayList<>();
        for (RunConfig r : runs) {
            data.add(Tasks.generate(r.task, r.seed));
            MemoryRecorder m = new MemoryRecorder();
            recs.add(m);
            out.add(m);
            outs.add(new RunOutcome());
        }
        StackedMlp s = new StackedMlp(runs, data, recs, outs, memory);
        int steps = 0;
        for (; s.hasNext(); steps++) s.step();
        assertEquals(STEPS, steps, "the first runs train every step");
        assertEquals(
                memory.name().equals("portable") ? steps : 0,
                memory.transfers(),
                memory.name() + ": one device-to-host transfer per stacked step (none on the host)");
        return out;
    }

    static void assertSameRows(MemoryRecorder host, MemoryRecorder portable, boolean exactTraining, String what) {
        assertEquals(host.steps.size(), portable.steps.size(), what + " steps");
        assertEquals(host.params.size(), portable.params.size(), what + " params rows");
        assertEquals(host.layers.size(), portable.layers.size(), what + " layers rows");
        assertTrue(!host.params.isEmpty() && !host.layers.isEmpty(), what + ": nothing recorded");
        for (int i = 0; i < host.steps.size(); i++) {
            MemoryRecorder.StepRow a = host.steps.get(i), b = portable.steps.get(i);
            String where = what + " step " + i;
            if (exactTraining) assertEquals(a.loss(), b.loss(), 0.0, where + " loss (the same training)");
            else close(a.loss(), b.loss(), Math.abs(a.loss()), where + " loss");
            close(a.gradL2Total(), b.gradL2Total(), Math.abs(a.gradL2Total()), where + " grad_l2_total");
            close(a.updateL2Total(), b.updateL2Total(), Math.abs(a.updateL2Total()), where + " update_l2_total");
        }
        for (int i = 0; i < host.params.size(); i++) {
            MemoryRecorder.ParamRow a = host.params.get(i), b = portable.params.get(i);
            String where = what + " step " + a.step() + " " + a.layerName() + " " + a.param();
            assertEquals(a.layerName() + a.param() + a.step(), b.layerName() + b.param() + b.step(), where);
            close(a.gradL2(), b.gradL2(), a.gradL2(), where + " grad_l2");
            close(a.gradMeanAbs(), b.gradMeanAbs(), a.gradMeanAbs(), where + " grad_mean_abs");
            close(a.gradMaxAbs(), b.gradMaxAbs(), a.gradMaxAbs(), where + " grad_max_abs");
            close(a.gradMean(), b.gradMean(), a.gradMeanAbs(), where + " grad_mean");
            close(a.paramL2(), b.paramL2(), a.paramL2(), where + " param_l2");
            close(a.updateL2(), b.updateL2(), a.updateL2(), where + " update_l2");
            assertEquals(a.zeroFrac(), b.zeroFrac(), 0.0, where + " grad_zero_frac");
            assertEquals(a.nonfinite(), b.nonfinite(), where + " nonfinite");
        }
        for (int i = 0; i < host.layers.size(); i++) {
            MemoryRecorder.LayerRow a = host.layers.get(i), b = portable.layers.get(i);
            String where = what + " step " + a.step() + " " + a.name();
            assertEquals(a.name() + a.step(), b.name() + b.step(), where);
            double rms = Math.sqrt(a.mean() * a.mean() + a.std() * a.std());
            // a diverging run's E[a²] can overflow double, leaving std NaN: |mean| ≤ RMS is then the (tighter) scale
            if (Double.isNaN(rms)) rms = Math.abs(a.mean());
            close(a.mean(), b.mean(), rms, where + " act_mean");
            // std = sqrt(E[a²] − mean²): cancellation when std ≪ RMS, so its error scales with RMS²/std
            close(a.std(), b.std(), a.std() == 0 ? rms : Math.max(a.std(), rms * rms / a.std()), where + " act_std");
            assertEquals(a.saturatedFrac(), b.saturatedFrac(), 0.0, where + " act_saturated_frac");
            assertEquals(a.deadFrac(), b.deadFrac(), 0.0, where + " act_dead_frac");
            assertEquals(a.zeroFrac(), b.zeroFrac(), 0.0, where + " act_zero_frac");
            close(a.slopeSqMean(), b.slopeSqMean(), Math.abs(a.slopeSqMean()), where + " act_slope_sq_mean");
            close(a.outGradL2(), b.outGradL2(), Math.abs(a.outGradL2()), where + " act_grad_l2");
        }
    }

    static void close(double expected, double actual, double scale, String where) {
        if (Double.isNaN(expected)) {
            assertTrue(Double.isNaN(actual), where + ": expected NaN, got " + actual);
            return;
        }
        if (expected == actual) return;
        assertEquals(expected, actual, REL * scale, where);
    }
}
