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
 * Trains one run and records every step. A lean loop instead of {@code fit}: forward+backward, statistics on the
 * raw gradient, optional clipping, updater, parameter step, statistics on the applied update. A non-finite loss or
 * gradient stops the run as {@code diverged} at that step; any exception makes it {@code failed}.
 */
public final class Trainer {
    private Trainer() {
    }

    /** Builds the run's network and trains it; {@code withStats=false} is the bare loop (benchmarks only). */
    public static RunOutcome train(RunConfig rc, TaskData data, RunRecorder rec, boolean withStats) {
        RunOutcome out = new RunOutcome();
        long t0 = System.nanoTime();
        try {
            MultiLayerNetwork net = NetworkFactory.build(rc);
            out.nParams = net.numParams();
            out.nLayers = net.getnLayers();
            train(net, rc, data, rec, withStats, out);
        } catch (Throwable e) {
            out.status = RunOutcome.Status.FAILED;
            out.error = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        out.wallMs = (System.nanoTime() - t0) / 1_000_000;
        return out;
    }

    static void train(MultiLayerNetwork net, RunConfig rc, TaskData data, RunRecorder rec, boolean withStats, RunOutcome out) {
        int batch = rc.train.batch;
        Batches batches = new Batches(data, batch, NetworkFactory.dataType(rc.train.dtype), rc.seed);
        GradientProbe probe = withStats ? new GradientProbe(net, rc.activation) : null;
        if (probe != null) net.setListeners(probe);
        Updater updater = net.getUpdater();
        INDArray flatGrad = net.getFlattenedGradients();
        INDArray params = net.params();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        Clip clip = Clip.parse(rc.train.clip);
        double totalMs = 0;
        for (int step = 0; step < rc.train.steps; step++) {
            long s0 = System.nanoTime();
            batches.next();
            net.setInput(batches.features);
            net.setLabels(batches.labels);
            net.computeGradientAndScore();
            double loss = net.score();
            double gradL2 = probe != null ? probe.onGradient(1.0 / batch)
                    : clip.needsNorm() ? flatGrad.norm2Number().doubleValue() / batch : Double.NaN;
            boolean finite = Double.isFinite(loss) && (probe == null ? !clip.needsNorm() || Double.isFinite(gradL2) : probe.nonfinite() == 0);
            double updL2 = Double.NaN;
            if (finite) {
                clip.apply(flatGrad, gradL2, batch);
                net.setIterationCount(step);
                updater.update(net, net.gradient(), step, 0, batch, mgr);
                params.subi(flatGrad);
                if (probe != null) updL2 = probe.onUpdate();
            }
            double ms = (System.nanoTime() - s0) / 1e6;
            totalMs += ms;
            rec.step(step, loss, gradL2, updL2, rc.train.lr, ms);
            if (probe != null) probe.emit(step, rec);
            out.stepsDone = step + 1;
            if (step == 0) out.lossFirst = loss;
            out.lossLast = loss;
            if (Double.isFinite(loss) && !(loss >= out.lossBest)) out.lossBest = loss;
            if (!finite) {
                out.status = RunOutcome.Status.DIVERGED;
                out.error = "non-finite " + (Double.isFinite(loss) ? "gradient" : "loss") + " at step " + step;
                break;
            }
        }
        out.msPerStep = out.stepsDone == 0 ? Double.NaN : totalMs / out.stepsDone;
        net.setListeners(); // drop the probe so the network can be reused without it
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
