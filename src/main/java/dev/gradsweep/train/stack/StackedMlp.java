package dev.gradsweep.train.stack;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.LossBaseline;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * K plain-MLP runs of identical shapes trained as one batched computation: every layer is a rank-3 matmul
 * [K, batch, in] × [K, in, out], so ND4J's fixed per-op cost (tens of µs) is paid once for K runs. Forward and
 * backward are written out by hand around DL4J's own activation functions (their forward and backprop, as DL4J's
 * dense layer calls them); parameters start as the DL4J network of each run would (they are copied from it), the
 * loss and gradient conventions are DL4J's (gradient summed over the batch, divided by it before the optimizer), and
 * each run keeps its own statistics and rows. The buffers are a {@link StackLayout}, the optimizer step a
 * {@link StackedOptimizer}, the loss a {@link StackedLoss}; statistics, fills and copies go through the stack's
 * {@link TrainingMemory}. A run that diverges stops recording and no longer
 * updates; the others go on.
 */
public final class StackedMlp {
    private final List<RunConfig> runs;
    private final RunRecorder[] recs;
    private final RunOutcome[] outs;
    private final int k, depth, width, batch;
    private final Activation act;
    private final IActivation fn;
    private final boolean classification;
    private final StackLayout at;
    private final StackedOptimizer optimizer;
    private final StackedLoss loss;
    private final TrainingMemory memory;
    /** Host copies of the outputs and targets, for the loss. */
    private final double[] outHost, yHost;
    /** z: hidden pre-activations (DL4J's backprop of an activation takes z); h: layer inputs and outputs; eps: dL/da. */
    private final INDArray[] z, h, eps;

    private final INDArray x, y, ones, dOut;
    private final Batches[] batches;
    private final LayerInfo[] layerInfo;
    private final boolean[] ended;
    private int step;

    /** True when {@code rc} can be trained by this engine (plain MLPs); the others take the DL4J path. */
    public static boolean supports(RunConfig rc) {
        return rc.cell == Cell.NONE && rc.norm == Norm.NONE && rc.skip == Skip.NONE;
    }

    /**
     * Runs that may share a stack: equal in every shape and in the optimizer; they may differ in seed, initializer,
     * learning rate, warmup and clip value. Norm clipping is a per-run gradient scale, so it stacks with unclipped
     * runs; value clipping adds a clamp over the whole buffer, so only value-clipped runs stack together.
     */
    public static String stackKey(RunConfig rc) {
        return rc.depth + "/" + rc.width + "/" + rc.activation.key + "/" + rc.task.canonical() + "/" + rc.train.batch
                + "/" + rc.train.steps + "/" + rc.train.dtype + "/" + rc.train.optimizer + "/"
                + StackedOptimizer.isValueClip(rc.train);
    }

    /** Each run's parameters start exactly where its DL4J network starts (they are copied from it). */
    public StackedMlp(List<RunConfig> runs, List<TaskData> data, List<RunRecorder> recs, List<RunOutcome> outs) {
        this(runs, data, recs, outs, TrainingMemory.forBackend());
    }

    public StackedMlp(
            List<RunConfig> runs,
            List<TaskData> data,
            List<RunRecorder> recs,
            List<RunOutcome> outs,
            TrainingMemory memory) {
        this.memory = memory;
        RunConfig first = runs.get(0);
        for (RunConfig r : runs)
            if (!supports(r) || !stackKey(r).equals(stackKey(first)))
                throw new IllegalArgumentException("run " + r.runId + " cannot join this stack");
        this.runs = runs;
        this.recs = recs.toArray(new RunRecorder[0]);
        this.outs = outs.toArray(new RunOutcome[0]);
        this.k = runs.size();
        this.depth = first.depth;
        this.width = first.width;
        this.batch = first.train.batch;
        this.act = first.activation;
        this.fn = NetworkFactory.activation(act).getActivationFunction();
        this.classification = first.task.objective == TaskSpec.Objective.CLASSIFICATION;
        DataType dt = NetworkFactory.dataType(first.train.dtype);
        int nIn = first.task.inputs, nOut = first.task.outputs, layers = depth + 1;
        int[] fanIn = new int[layers], fanOut = new int[layers];
        for (int l = 0; l < layers; l++) {
            fanIn[l] = l == 0 ? nIn : width;
            fanOut[l] = l == depth ? nOut : width;
        }
        at = new StackLayout(k, fanIn, fanOut, dt);
        z = new INDArray[depth];
        h = new INDArray[layers + 1];
        eps = new INDArray[depth];
        x = Nd4j.create(dt, k, batch, nIn);
        y = Nd4j.create(dt, k, batch, nOut);
        h[0] = x;
        for (int l = 0; l < layers; l++) h[l + 1] = Nd4j.create(dt, k, batch, fanOut[l]);
        for (int l = 0; l < depth; l++) {
            z[l] = Nd4j.create(dt, k, batch, width);
            eps[l] = Nd4j.create(dt, k, batch, width);
        }
        dOut = Nd4j.create(dt, k, batch, nOut);
        outHost = new double[k * batch * nOut];
        yHost = new double[k * batch * nOut];
        ones = Nd4j.ones(dt, k, 1, batch);
        batches = new Batches[k];
        layerInfo = new LayerInfo[depth];
        for (int l = 0; l < depth; l++) layerInfo[l] = new LayerInfo(l, "dense" + l, "dense", act);
        ended = new boolean[k];
        IUpdater shared = null;
        double clipEps = 0;
        boolean valueClip = StackedOptimizer.isValueClip(first.train);
        double[] valueBound = valueClip ? new double[k] : null;
        for (int r = 0; r < k; r++) {
            RunConfig rc = runs.get(r);
            batches[r] =
                    new Batches(data.get(r), batch, rc.seed, StackLayout.slice(x, r), StackLayout.slice(y, r), memory);
            ComputationGraph net = NetworkFactory.build(rc).graph();
            for (int l = 0; l < layers; l++) {
                org.deeplearning4j.nn.api.Layer layer = net.getLayer(at.layerName(l));
                memory.copyRowMajor(layer.getParam("W"), at.flatParams, at.segments[r][2 * l].offset);
                memory.copyRowMajor(layer.getParam("b"), at.flatParams, at.segments[r][2 * l + 1].offset);
            }
            ILossFunction lossFn =
                    ((BaseOutputLayer) net.getLayer("output").conf().getLayer()).getLossFn();
            if (lossFn instanceof LossMCXENT) clipEps = ((LossMCXENT) lossFn).getSoftmaxClipEps();
            else if (classification)
                throw new IllegalArgumentException("run " + rc.runId + ": no stacked loss for " + lossFn);
            IUpdater u = net.getLayer("output").getConfig().getUpdaterByParam("W");
            if (shared != null && !StackedOptimizer.hyperparameters(u).equals(StackedOptimizer.hyperparameters(shared)))
                throw new IllegalArgumentException(
                        "run " + rc.runId + ": optimizer " + u + " differs from its stack's " + shared);
            shared = u;
            if (valueClip) valueBound[r] = TrainSpec.clipValue(rc.train.clip);
            this.outs[r].nParams = net.numParams();
            this.outs[r].nLayers = layers;
            this.outs[r].lossBaseline = LossBaseline.of(data.get(r));
        }
        this.optimizer = new StackedOptimizer(at, first.train.optimizer, shared, batch, valueBound, dt, memory);
        this.loss = new StackedLoss(classification, clipEps);
    }

    public boolean hasNext() {
        if (step >= runs.get(0).train.steps) return false;
        for (boolean e : ended) if (!e) return true;
        return false;
    }

    /** One training step of every run still going. */
    public void step() {
        long t0 = System.nanoTime();
        MemoryGuard.check();
        for (int r = 0; r < k; r++) batches[r].next();
        int layers = depth + 1;
        // forward, as DL4J's dense layer: z = x·W + b, a = f(z) (DL4J's activations work in place)
        for (int l = 0; l < layers; l++) {
            INDArray pre = l < depth ? z[l] : h[layers];
            Nd4j.matmul(h[l], at.w[l], pre, false, false, false);
            pre.addi(at.b[l]);
            if (l < depth) {
                INDArray a = fn.getActivation(h[l + 1].assign(pre), true);
                if (a != h[l + 1]) h[l + 1].assign(a);
            } else if (classification) Nd4j.exec(new SoftMax(pre, pre, -1));
        }
        // dL/dz of the output, per example and summed over the batch later (DL4J's convention)
        INDArray out = h[layers];
        dOut.assign(out).subi(y);
        if (!classification) dOut.muli(2.0 / out.size(2));
        ActStats[][] acts = new ActStats[k][depth];
        ActStats[] byLayer = new ActStats[depth * k];
        INDArray[] hidden = new INDArray[depth];
        for (int l = 0; l < depth; l++) {
            for (int r = 0; r < k; r++) byLayer[l * k + r] = acts[r][l] = new ActStats(width, act.hasSaturation());
            hidden[l] = h[l + 1].reshape('c', (long) k * batch, h[l + 1].size(2));
        }
        memory.activations(hidden, k, act, byLayer);
        memory.read(out, outHost);
        memory.read(y, yHost);
        // backward; DL4J's backprop of the activation turns dL/da into dL/dz (overwriting z, no longer needed)
        INDArray d = dOut;
        for (int l = depth; l >= 0; l--) {
            Nd4j.matmul(h[l], d, at.dw[l], true, false, false);
            Nd4j.matmul(ones, d, at.db[l], false, false, false);
            if (l > 0) {
                Nd4j.matmul(d, at.w[l], eps[l - 1], false, true, false);
                d = fn.backprop(z[l - 1], eps[l - 1]).getFirst();
            }
        }
        // statistics of the raw gradient at the current parameters, then the optimizer step, then the update's: the
        // step's results reach the host in one transfer, so a run whose loss or gradient turns out non-finite has had
        // its update applied (to its own slices only: every op here is elementwise or per run) and is stopped after
        boolean[] live = new boolean[k];
        for (int r = 0; r < k; r++) live[r] = !ended[r];
        Segment[] liveSegs = segmentsOf(live);
        ParamStats[] liveStats = statsOf(live);
        memory.gradient(at.flatGrad, at.flatParams, liveSegs, 1.0 / batch, liveStats);
        clipByNorm(live);
        for (int r = 0; r < k; r++) if (live[r]) optimizer.setScales(r, runs.get(r).train, step);
        optimizer.apply(step);
        memory.update(at.flatGrad, liveSegs, liveStats); // the buffer now holds the update
        memory.sync(); // with the activations, outputs and targets
        double[] loss = this.loss.of(outHost, yHost, k, batch, (int) out.size(2), out.dataType() == DataType.FLOAT);
        double[] gradL2 = new double[k];
        boolean[] finite = new boolean[k];
        for (int r = 0; r < k; r++) {
            if (ended[r]) continue;
            double tot = 0;
            long bad = 0;
            for (ParamStats st : at.stats[r]) {
                tot += st.sumSq;
                bad += st.nonfinite;
            }
            gradL2[r] = Math.sqrt(tot);
            finite[r] = Double.isFinite(loss[r]) && bad == 0;
            if (!finite[r]) optimizer.stop(r);
        }
        double ms = (System.nanoTime() - t0) / 1e6 / k; // a stacked step's time, shared by its runs
        for (int r = 0; r < k; r++) {
            if (ended[r]) continue;
            double upd = 0;
            for (ParamStats st : at.stats[r]) {
                if (!finite[r]) st.noUpdate();
                upd += st.updateSumSq;
            }
            RunRecorder rec = recs[r];
            rec.step(
                    step,
                    loss[r],
                    gradL2[r],
                    finite[r] ? Math.sqrt(upd) : Double.NaN,
                    runs.get(r).train.lrAt(step),
                    ms);
            for (int i = 0; i < at.segments[r].length; i++) rec.param(step, at.segments[r][i], at.stats[r][i]);
            for (int l = 0; l < depth; l++) rec.layer(step, layerInfo[l], acts[r][l], Double.NaN);
            outs[r].endStep(loss[r], ms, finite[r]);
            if (!finite[r]) {
                ended[r] = true;
                memory.fill(
                        at.flatParams, at.segments[r], 0); // keeps its slices finite, so NaN never reaches a shared op
            }
        }
        step++;
    }

    /** Norm clipping of each selected run with a "norm:c" rule, by its own gradient norm. */
    private void clipByNorm(boolean[] runs) {
        List<Segment[]> sets = new java.util.ArrayList<>();
        List<Double> bounds = new java.util.ArrayList<>();
        for (int r = 0; r < k; r++)
            if (runs[r] && TrainSpec.clipKind(this.runs.get(r).train.clip).equals("norm")) {
                sets.add(at.segments[r]);
                bounds.add(TrainSpec.clipValue(this.runs.get(r).train.clip));
            }
        if (!sets.isEmpty())
            memory.clipByNorm(
                    at.flatGrad,
                    sets.toArray(new Segment[0][]),
                    bounds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The segments of the selected runs, run by run. */
    private Segment[] segmentsOf(boolean[] runs) {
        List<Segment> out = new java.util.ArrayList<>();
        for (int r = 0; r < k; r++) if (runs[r]) out.addAll(List.of(at.segments[r]));
        return out.toArray(new Segment[0]);
    }

    /** Their statistics, in the same order. */
    private ParamStats[] statsOf(boolean[] runs) {
        List<ParamStats> out = new java.util.ArrayList<>();
        for (int r = 0; r < k; r++) if (runs[r]) out.addAll(List.of(at.stats[r]));
        return out.toArray(new ParamStats[0]);
    }
}
