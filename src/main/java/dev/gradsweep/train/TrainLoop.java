package dev.gradsweep.train;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.model.NetworkFactory;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One run's training loop, a step at a time. A lean loop instead of {@code fit}: forward+backward, statistics on
 * the raw gradient, optional clipping, updater, parameter step, statistics on the applied update. A non-finite
 * loss or gradient ends the run as {@code diverged} at that step (the update is not applied).
 */
public final class TrainLoop {
    private final MultiLayerNetwork net;
    private final RunConfig rc;
    private final RunRecorder rec;
    private final Batches batches;
    private final GradientProbe probe;
    private final Updater updater;
    /** Null when the network needs DL4J's per-array updater. */
    private final FlatUpdater flatUpdater;
    /** The flat gradient buffer, and the same memory shaped like the flat parameter vector for the in-place step. */
    private final INDArray flatGrad, flatGradAsParams, params;
    private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    private final Clip clip;
    private final RunOutcome out;
    private double totalMs;
    private int step;
    private boolean ended;

    public TrainLoop(MultiLayerNetwork net, RunConfig rc, TaskData data, RunRecorder rec, boolean withStats, RunOutcome out) {
        this.net = net;
        this.rc = rc;
        this.rec = rec;
        this.out = out;
        this.batches = new Batches(data, rc.train.batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
        this.probe = withStats ? new GradientProbe(net, rc.activation) : null;
        net.setListeners(probe == null ? new org.deeplearning4j.optimize.api.TrainingListener[0] : new org.deeplearning4j.optimize.api.TrainingListener[]{probe});
        this.updater = net.getUpdater();
        this.flatUpdater = FlatUpdater.forLayers(net.getLayers(), net.numParams(), net.params());
        this.flatGrad = net.getFlattenedGradients();
        this.params = net.params();
        this.flatGradAsParams = flatGrad.reshape(params.shape());
        this.clip = Clip.parse(rc.train.clip);
        out.nParams = net.numParams();
        out.nLayers = net.getnLayers();
    }

    /** True while the run has steps left and has not diverged. */
    public boolean hasNext() {
        return !ended && step < rc.train.steps;
    }

    /** Trains and records one step. */
    public void step() {
        int batch = rc.train.batch;
        long s0 = System.nanoTime();
        batches.next();
        net.setInput(batches.features);
        net.setLabels(batches.labels);
        net.computeGradientAndScore();
        double loss = net.score();
        // DL4J's gradient is summed over the minibatch (its updater divides later): 1/batch gives d(mean loss).
        double gradL2 = probe != null ? probe.onGradient(1.0 / batch)
                : clip.needsNorm() ? flatGrad.norm2Number().doubleValue() / batch : Double.NaN;
        boolean finite = Double.isFinite(loss) && (probe != null ? probe.nonfinite() == 0 : !clip.needsNorm() || Double.isFinite(gradL2));
        double updL2 = Double.NaN;
        if (finite) {
            clip.apply(flatGrad, gradL2, batch);
            net.setIterationCount(step);
            if (flatUpdater != null) flatUpdater.apply(flatGrad, batch, step);
            else updater.update(net, net.gradient(), step, 0, batch, mgr);
            params.subi(flatGradAsParams);
            if (probe != null) updL2 = probe.onUpdate();
        }
        double ms = (System.nanoTime() - s0) / 1e6;
        totalMs += ms;
        rec.step(step, loss, gradL2, updL2, rc.train.lr, ms);
        if (probe != null) probe.emit(step, rec);
        if (step == 0) out.lossFirst = loss;
        out.lossLast = loss;
        if (Double.isFinite(loss) && !(loss >= out.lossBest)) out.lossBest = loss;
        step++;
        out.stepsDone = step;
        out.msPerStep = totalMs / step;
        if (!finite) {
            out.status = RunOutcome.Status.DIVERGED;
            out.error = "non-finite " + (Double.isFinite(loss) ? "gradient" : "loss") + " at step " + (step - 1);
            ended = true;
        }
    }

    /** Gradient clipping of train.clip, applied to DL4J's batch-summed gradient before the updater divides it. */
    static final class Clip {
        final String kind;
        final double c;

        private Clip(String kind, double c) {
            this.kind = kind;
            this.c = c;
        }

        static Clip parse(String text) {
            if (text.equals("none")) return new Clip("none", 0);
            int colon = text.indexOf(':');
            return new Clip(text.substring(0, colon), Double.parseDouble(text.substring(colon + 1)));
        }

        boolean needsNorm() {
            return kind.equals("norm");
        }

        /** @param meanGradL2 the L2 norm of the mean-loss gradient, i.e. of flatGrad / batch */
        void apply(INDArray flatGrad, double meanGradL2, int batch) {
            if (kind.equals("norm") && meanGradL2 > c) flatGrad.muli(c / meanGradL2);
            else if (kind.equals("value")) {
                Transforms.min(flatGrad, c * batch, false); // in place (dup = false)
                Transforms.max(flatGrad, -c * batch, false);
            }
        }
    }
}
