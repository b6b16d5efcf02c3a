package dev.gradsweep.train;

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
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.GradientProbe;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * The self-check of {@code gradsweep doctor}: trains a tiny block net a few steps with the memory path in use and
 * recomputes every recorded statistic from the same arrays with plain ND4J reductions (each a separate op on a double
 * copy, nothing shared with either path), comparing the two. ‖∂L/∂a‖ at block outputs is read inside the backward
 * pass only, so it is not recomputed here ({@code PortablePathTest} compares it across the paths).
 */
public final class Doctor {
    /** Relative agreement asked of every statistic: both sides sum the same values in double, in different orders. */
    public static final double REL = 1e-9;

    /** The outcome: how many values were compared, the worst relative difference, and the first disagreement or null. */
    public record Result(String path, int compared, double worst, String worstWhat, String disagreement) {
        public boolean ok() {
            return disagreement == null;
        }
    }

    private Doctor() {}

    /** A 3-block highway net with pre-layer norm: dense, gate and block outputs, LayerNorm and gate parameters. */
    public static RunConfig net(TrainSpec.DType dtype, int steps) {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 6, 2, 128, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TrainSpec t = new TrainSpec(
                steps, 16, TrainSpec.Optimizer.ADAM, 0.01, "none", dtype, 0, TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS);
        return new RunConfig(
                "doctor",
                3,
                8,
                Activation.TANH,
                Init.parse("xavier"),
                Norm.LAYER,
                Placement.PRE,
                Skip.HIGHWAY,
                task,
                t,
                7);
    }

    public static Result check(RunConfig rc, TrainingMemory memory) {
        Net built = NetworkFactory.build(rc);
        ComputationGraph g = built.graph();
        Rows got = new Rows();
        RunOutcome out = new RunOutcome();
        TrainLoop loop = new TrainLoop(built, rc, Tasks.generate(rc.task, rc.seed), got, true, out, memory);
        Expected want = new Expected(built, rc.train.batch);
        g.addListeners(want); // after the probe: it sees the same activations and the same raw gradient
        return compareSteps(
                memory.name(),
                new Steps(loop::hasNext, loop::step, () -> want.updateApplied(g.getGradientsViewArray())),
                out,
                want.rows,
                got.rows);
    }

    /**
     * One engine's side of {@link #compareSteps}: whether it has steps left, one training step (the path's rows reach
     * its recorder, the expected rows their map), and the step's update once applied (its update_l2 into the expected
     * params rows).
     */
    public record Steps(BooleanSupplier hasNext, Runnable step, Runnable updateApplied) {}

    /** update_l2 of every segment's expected params row (keyed "layerName_param") from the flat update buffer. */
    public static void updateApplied(Map<String, double[]> want, Segment[] segments, INDArray update) {
        for (Segment s : segments) want.get(s.layerName + "_" + s.param)[5] = updateL2(update, s);
    }

    /**
     * Every engine's doctor loop: after each step, every expected row against the path's row of that step (keyed
     * "step name"), to {@link #REL}; the first disagreement, a missing row or a step that did not train stops it.
     */
    public static Result compareSteps(
            String path, Steps steps, RunOutcome out, Map<String, double[]> want, Map<String, double[]> got) {
        Comparison c = new Comparison();
        for (int step = 0; steps.hasNext().getAsBoolean() && c.disagreement == null; step++) {
            steps.step().run();
            if (out.status != RunOutcome.Status.OK)
                return c.result(path, "training stopped at step " + step + ": " + out.error);
            steps.updateApplied().run();
            for (Map.Entry<String, double[]> e : want.entrySet()) {
                double[] p = got.get(step + " " + e.getKey());
                if (p == null) return c.result(path, "no row " + e.getKey() + " at step " + step);
                c.compare("step " + step + " " + e.getKey(), e.getValue(), p);
            }
            want.clear();
        }
        return c.result(path, c.disagreement);
    }

    /**
     * The path's rows, copied as they are emitted (its statistics objects are reused every step), keyed "step
     * layerName_param" and "step name".
     */
    public static final class Rows implements RunRecorder {
        public final Map<String, double[]> rows = new LinkedHashMap<>();

        @Override
        public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {}

        @Override
        public void param(int step, Segment s, ParamStats p) {
            rows.put(step + " " + s.layerName + "_" + s.param, new double[] {
                p.gradL2(),
                p.gradMeanAbs(),
                p.maxAbs,
                p.gradMean(),
                p.paramL2(),
                p.updateL2(),
                p.zeroFrac(),
                p.nonfinite
            });
        }

        @Override
        public void layer(int step, LayerInfo l, ActStats a, double outGradL2) {
            rows.put(step + " " + l.name, new double[] {
                a.mean(), a.std(), a.saturatedFrac(), a.deadFrac(), a.zeroFrac(), a.slopeSqMean(), outGradL2
            });
        }
    }

    static final String[] PARAM_COLUMNS = {
        "grad_l2",
        "grad_mean_abs",
        "grad_max_abs",
        "grad_mean",
        "param_l2",
        "update_l2",
        "grad_zero_frac",
        "grad_nonfinite"
    };
    static final String[] LAYER_COLUMNS = {
        "act_mean",
        "act_std",
        "act_saturated_frac",
        "act_dead_frac",
        "act_zero_frac",
        "act_slope_sq_mean",
        "act_grad_l2"
    };

    /** The same statistics from plain ND4J reductions over double copies of the arrays. */
    private static final class Expected extends BaseTrainingListener {
        final Map<String, double[]> rows = new LinkedHashMap<>();
        final Segment[] segments;
        final Net net;
        final int batch;

        Expected(Net net, int batch) {
            this.net = net;
            this.batch = batch;
            List<Segment> s = new ArrayList<>();
            for (Segment x : GradientProbe.segmentsOf(net)) if (x.gradient) s.add(x);
            this.segments = s.toArray(new Segment[0]);
        }

        @Override
        public void onForwardPass(Model model, Map<String, INDArray> activations) {
            for (Net.Recorded r : net.recorded()) rows.put(r.name(), actRow(activations.get(r.vertex()), r.fn()));
        }

        /** The raw gradient and the parameters it was computed at, before the updater runs. */
        @Override
        public void onBackwardPass(Model model) {
            ComputationGraph g = (ComputationGraph) model;
            for (Segment s : segments)
                rows.put(s.layerName + "_" + s.param, paramRow(g.getGradientsViewArray(), g.params(), s, 1.0 / batch));
        }

        void updateApplied(INDArray update) {
            Doctor.updateApplied(rows, segments, update);
        }
    }

    /**
     * A layers row's values of the [rows × units] output {@code out} of {@code fn} (null: none) by plain ND4J
     * reductions on a double copy, in {@link #LAYER_COLUMNS}' order without act_grad_l2.
     */
    public static double[] actRow(INDArray out, Activation fn) {
        INDArray a = out.castTo(DataType.DOUBLE).dup('c');
        double n = a.length(), mean = a.meanNumber().doubleValue();
        double std = a.sub(mean).norm2Number().doubleValue() / Math.sqrt(n); // population std, two passes
        double zeros = zeros(a);
        double dead = a.eq(0.0)
                .castTo(DataType.DOUBLE)
                .sum(0)
                .eq((double) a.size(0))
                .castTo(DataType.DOUBLE)
                .sumNumber()
                .doubleValue();
        double saturated = Double.NaN, slopeSq = Double.NaN;
        if (fn != null && fn.hasDerivativeFromOutput()) {
            double[] v = a.reshape(a.length()).toDoubleVector();
            double sat = 0, d2 = 0;
            for (double x : v) {
                double d = fn.derivativeFromOutput(x);
                d2 += d * d;
                if (fn.hasSaturation() && !(Math.abs(d) >= ActStats.SATURATION_THRESHOLD * fn.maxDerivative())) sat++;
            }
            slopeSq = d2 / n;
            if (fn.hasSaturation()) saturated = sat / n;
        }
        return new double[] {mean, std, saturated, dead / a.size(1), zeros / n, slopeSq};
    }

    /**
     * A params row's values of segment {@code s} of the flat gradient (times {@code scale}) and parameter buffers by
     * plain ND4J reductions on double copies, in {@link #PARAM_COLUMNS}' order; update_l2 NaN (the caller's, from the
     * update buffer: {@link #updateL2}).
     */
    public static double[] paramRow(INDArray grad, INDArray params, Segment s, double scale) {
        INDArray v = range(grad, s), p = range(params, s);
        double len = s.length;
        double bad = count(v, Conditions.isNan()) + count(v, Conditions.isInfinite());
        return new double[] {
            v.norm2Number().doubleValue() * scale,
            v.norm1Number().doubleValue() / len * scale,
            v.amaxNumber().doubleValue() * scale,
            v.sumNumber().doubleValue() / len * scale,
            p.norm2Number().doubleValue(),
            Double.NaN,
            zeros(v) / len,
            bad
        };
    }

    /** ‖update‖ over segment {@code s} of a flat update buffer. */
    public static double updateL2(INDArray update, Segment s) {
        return range(update, s).norm2Number().doubleValue();
    }

    static INDArray range(INDArray flat, Segment s) {
        return flat.reshape(flat.length())
                .get(NDArrayIndex.interval(s.offset, s.offset + s.length))
                .castTo(DataType.DOUBLE)
                .dup();
    }

    /**
     * Exact zeros: ND4J's {@code Conditions.equals(0.0)} matches within an epsilon (|x| ≤ 1e-5 counted as 0 in a
     * transformer's small K gradients), the statistics count x == 0.
     */
    static double zeros(INDArray a) {
        return a.eq(0.0).castTo(DataType.DOUBLE).sumNumber().doubleValue();
    }

    static double count(INDArray a, org.nd4j.linalg.indexing.conditions.Condition c) {
        return Nd4j.getExecutioner().exec(new MatchCondition(a, c)).getDouble(0);
    }

    /** Expected rows against the path's, column by column, to {@link #REL}; the first disagreement stops it. */
    public static final class Comparison {
        int compared;
        double worst;
        String worstWhat = "", disagreement;

        public void compare(String what, double[] expected, double[] actual) {
            String[] cols = expected.length == PARAM_COLUMNS.length ? PARAM_COLUMNS : LAYER_COLUMNS;
            for (int i = 0; i < expected.length && disagreement == null; i++) {
                double e = expected[i], a = actual[i];
                compared++;
                if (Double.isNaN(e) && Double.isNaN(a) || e == a) continue;
                // means of mixed signs are compared against the magnitude of their terms (the column before, or the
                // RMS)
                double scale = cols == PARAM_COLUMNS && i == 3
                        ? expected[1]
                        : cols == LAYER_COLUMNS && i == 0 ? Math.hypot(expected[0], expected[1]) : Math.abs(e);
                double rel = Math.abs(e - a) / scale;
                if (rel > worst) {
                    worst = rel;
                    worstWhat = what + " " + cols[i];
                }
                if (!(rel <= REL))
                    disagreement = String.format(
                            java.util.Locale.ROOT,
                            "%s %s: path %.17g, plain ND4J %.17g (relative %.2e > %.0e)",
                            what,
                            cols[i],
                            a,
                            e,
                            rel,
                            REL);
            }
        }

        public String disagreement() {
            return disagreement;
        }

        public Result result(String path, String failure) {
            return new Result(path, compared, worst, worstWhat, failure == null ? disagreement : failure);
        }
    }
}
