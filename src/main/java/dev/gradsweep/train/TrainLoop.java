package dev.gradsweep.train;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.Net;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.GradientProbe;
import dev.gradsweep.stats.ParamStep;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.update.FlatUpdater;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One run's training loop, a step at a time. A lean loop instead of {@code fit}: forward+backward, statistics on
 * the raw gradient, optional clipping, updater, parameter step, statistics on the applied update. A non-finite
 * loss or gradient ends the run as {@code diverged} at that step. With statistics, whether the gradient was finite is
 * known only when the step's results reach the host, once, after the parameter step: that step's update is applied
 * and then not recorded, and the run ends there, so its parameters are never used again.
 */
public final class TrainLoop {
    private final ComputationGraph net;
    private final RunConfig rc;
    private final RunRecorder rec;
    private final Batches batches;
    private final GradientProbe probe;
    private final ComputationGraphUpdater updater;
    /** Null when the network needs DL4J's per-array updater (e.g. batch norm's running statistics). */
    private final FlatUpdater flatUpdater;
    /** The flat gradient buffer (it holds the update once the updater ran). */
    private final INDArray flatGrad;

    private final ParamStep paramStep;
    private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    private final Clip clip;
    private final RunOutcome out;
    private double totalMs;
    private int step;
    private boolean ended;

    public TrainLoop(Net built, RunConfig rc, TaskData data, RunRecorder rec, boolean withStats, RunOutcome out) {
        this(built, rc, data, rec, withStats, out, TrainingMemory.forBackend());
    }

    /** @param memory how the statistics, the parameter step and the minibatches reach the arrays' memory */
    public TrainLoop(
            Net built,
            RunConfig rc,
            TaskData data,
            RunRecorder rec,
            boolean withStats,
            RunOutcome out,
            TrainingMemory memory) {
        out.lossBaseline = LossBaseline.of(data); // first, so a run that fails while setting up still has it
        this.net = built.graph();
        this.rc = rc;
        this.rec = rec;
        this.out = out;
        this.batches = new Batches(data, rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed, memory);
        this.probe = withStats ? new GradientProbe(built, memory) : null;
        net.setListeners(
                probe == null
                        ? new org.deeplearning4j.optimize.api.TrainingListener[0]
                        : new org.deeplearning4j.optimize.api.TrainingListener[] {probe});
        this.updater = net.getUpdater();
        this.flatUpdater = FlatUpdater.forLayers(net.getLayers(), net.numParams(), net.params());
        this.flatGrad = net.getGradientsViewArray();
        this.paramStep =
                memory.paramStep(net.params(), flatGrad.reshape(net.params().shape()));
        if (probe != null && paramStep.reduces()) probe.fuseParamStep();
        this.clip = Clip.parse(rc.train.clip, gradientViews(GradientProbe.segmentsOf(built), flatGrad));
        out.nParams = net.numParams();
        out.nLayers = rc.depth + 1;
    }

    /** True while the run has steps left and has not diverged. */
    public boolean hasNext() {
        return !ended && step < rc.train.steps;
    }

    /** Trains and records one step. */
    public void step() {
        int batch = rc.train.batch;
        long s0 = System.nanoTime();
        MemoryGuard.check();
        batches.next();
        net.setInput(0, batches.features);
        net.setLabels(batches.labels);
        net.computeGradientAndScore();
        double loss = net.score();
        double gradL2, updL2 = Double.NaN;
        boolean finite;
        if (probe != null) {
            // DL4J's gradient is summed over the minibatch (its updater divides later): 1/batch gives d(mean loss).
            probe.onGradient(1.0 / batch);
            if (clip.needsNorm()) probe.clipNorm(clip.c);
            else clip.apply(Double.NaN, batch);
            update();
            updL2 = probe.step(paramStep); // the step's one transfer of results
            gradL2 = probe.gradL2();
            finite = Double.isFinite(loss) && probe.nonfinite() == 0;
            if (!finite) {
                probe.noUpdate();
                updL2 = Double.NaN;
            }
        } else {
            gradL2 = clip.needsNorm() ? clip.norm() / batch : Double.NaN;
            finite = Double.isFinite(loss) && (!clip.needsNorm() || Double.isFinite(gradL2));
            if (finite) {
                clip.apply(gradL2, batch);
                update();
                paramStep.apply();
            }
        }
        double ms = (System.nanoTime() - s0) / 1e6;
        totalMs += ms;
        rec.step(step, loss, gradL2, updL2, rc.train.lrAt(step), ms);
        if (probe != null) probe.emit(step, rec);
        out.addLoss(loss);
        step++;
        out.stepsDone = step;
        out.msPerStep = totalMs / step;
        if (!finite) {
            out.status = RunOutcome.Status.DIVERGED;
            out.error = "non-finite " + (Double.isFinite(loss) ? "gradient" : "loss") + " at step " + (step - 1);
            ended = true;
        }
    }

    /** The optimizer: the batch-summed gradient in the flat buffer becomes the update. */
    private void update() {
        net.getConfiguration().setIterationCount(step);
        if (flatUpdater != null) flatUpdater.apply(flatGrad, rc.train.batch, step);
        else updater.update(net.gradient(), step, 0, rc.train.batch, mgr);
    }

    /** The views of the flat gradient that hold gradients (runs of consecutive gradient segments). */
    static List<INDArray> gradientViews(Segment[] segments, INDArray flatGrad) {
        INDArray flat = flatGrad.reshape(flatGrad.length());
        List<INDArray> views = new ArrayList<>();
        int from = 0, to = 0;
        for (Segment s : segments) {
            if (s.gradient && s.offset == to) to += s.length;
            else {
                if (to > from) views.add(flat.get(NDArrayIndex.interval(from, to)));
                from = to = s.offset + (s.gradient ? 0 : s.length);
                if (s.gradient) to += s.length;
            }
        }
        if (to > from) views.add(flat.get(NDArrayIndex.interval(from, to)));
        return views;
    }

    /**
     * Gradient clipping of train.clip, applied to DL4J's batch-summed gradient before the updater divides it. Only
     * gradient views are touched: batch norm's running-statistic deltas share the buffer but are not gradients.
     */
    static final class Clip {
        final String kind;
        final double c;
        final List<INDArray> views;

        private Clip(String kind, double c, List<INDArray> views) {
            this.kind = kind;
            this.c = c;
            this.views = views;
        }

        static Clip parse(String text, List<INDArray> gradientViews) {
            return new Clip(TrainSpec.clipKind(text), TrainSpec.clipValue(text), gradientViews);
        }

        boolean needsNorm() {
            return kind.equals("norm");
        }

        /** L2 norm of the batch-summed gradient (when the probe does not compute it). */
        double norm() {
            double sq = 0;
            for (INDArray v : views) {
                double n = v.norm2Number().doubleValue();
                sq += n * n;
            }
            return Math.sqrt(sq);
        }

        /** @param meanGradL2 the L2 norm of the mean-loss gradient, i.e. of the gradient views / batch */
        void apply(double meanGradL2, int batch) {
            if (kind.equals("norm") && meanGradL2 > c)
                for (INDArray v : views) v.muli(TrainingMemory.clipFactor(meanGradL2, c));
            else if (kind.equals("value"))
                for (INDArray v : views) {
                    Transforms.min(v, c * batch, false); // in place (dup = false)
                    Transforms.max(v, -c * batch, false);
                }
        }
    }
}
