package dev.gradsweep.train.stack;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.HostMemory;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.train.ActStats;
import dev.gradsweep.train.HostArray;
import dev.gradsweep.train.LayerInfo;
import dev.gradsweep.train.LossBaseline;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.ParamStats;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.RunRecorder;
import dev.gradsweep.train.Segment;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.api.ops.impl.updaters.NesterovsUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/**
 * K plain-MLP runs of identical shapes trained as one batched computation: every layer is a rank-3 matmul
 * [K, batch, in] × [K, in, out], so ND4J's fixed per-op cost (tens of µs) is paid once for K runs. Forward and
 * backward are written out by hand around DL4J's own activation functions (their forward and backprop, as DL4J's
 * dense layer calls them); parameters start as the DL4J network of each run would (they are copied from it), the
 * loss and gradient conventions are DL4J's (gradient summed over the batch, divided by it before the optimizer), and
 * each run keeps its own statistics and rows. The optimizer step (SGD, Nesterov momentum, Adam, with clipping and
 * warmup) is a handful of ops over the whole stacked buffer: per-run factors (learning rate at this step, clip scale,
 * 1/batch) are per-element multiplier vectors, and the momentum and Adam steps are ND4J's own updater ops, whose
 * state is per element and therefore per run. A run that diverges stops recording and no longer updates; the others
 * go on.
 */
public final class StackedMlp {
    private final List<RunConfig> runs;
    private final RunRecorder[] recs;
    private final RunOutcome[] outs;
    private final int k, depth, width, batch;
    private final Activation act;
    private final IActivation fn;
    private final boolean classification;
    /** DL4J's LossMCXENT clips the softmax output to [eps, 1 − eps] in the score (not in the gradient); its eps. */
    private final double softmaxClipEps;
    private final TrainSpec.Optimizer optimizer;
    /** The optimizer's configuration (momentum, Adam's betas and epsilon), equal in every run of the stack. */
    private final IUpdater updater;
    private final boolean valueClip;
    private final INDArray flatParams, flatGrad;
    /**
     * Per-element multipliers, constant over each run's segments: the batch-summed gradient times gradScale is
     * what the optimizer consumes (SGD and momentum: lr · clip scale / batch; Adam: clip scale / batch); Adam's
     * update is computed at lr 1 and scaled by adamLr. invBound (value clipping) maps each run's bound c·batch to 1.
     */
    private final INDArray gradScale, adamLr, invBound;
    /** The value each run's segments hold in gradScale / adamLr, so they are rewritten only when it changes. */
    private final double[] gradScaleNow, adamLrNow;
    /** Momentum: the velocity; Adam: the first and second moments. Same layout as the gradient. */
    private final INDArray[] optState;
    private final INDArray[] w, b, dw, db, z, h, eps;
    private final INDArray x, y, ones, dOut;
    private final Batches[] batches;
    private final Segment[][] segments; // [run][array]
    private final ParamStats[][] stats;
    private final LayerInfo[] layerInfo;
    private final boolean[] ended;
    private final double[] totalMs;
    private int step;

    /** True when {@code rc} can be trained by this engine (plain MLPs); the others take the DL4J path. */
    public static boolean supports(RunConfig rc) {
        return rc.norm.equals("none") && rc.skip.equals("none");
    }

    /**
     * Runs that may share a stack: equal in every shape and in the optimizer; they may differ in seed, initializer,
     * learning rate, warmup and clip value. Norm clipping is a per-run gradient scale, so it stacks with unclipped
     * runs; value clipping adds a clamp over the whole buffer, so only value-clipped runs stack together.
     */
    public static String stackKey(RunConfig rc) {
        return rc.depth + "/" + rc.width + "/" + rc.activation.key + "/" + rc.task.canonical() + "/" + rc.train.batch + "/"
                + rc.train.steps + "/" + rc.train.dtype + "/" + rc.train.optimizer + "/" + isValueClip(rc.train);
    }

    private static boolean isValueClip(TrainSpec t) {
        return TrainSpec.clipKind(t.clip).equals("value");
    }

    public StackedMlp(List<RunConfig> runs, List<TaskData> data, List<RunRecorder> recs, List<RunOutcome> outs) {
        RunConfig first = runs.get(0);
        for (RunConfig r : runs)
            if (!supports(r) || !stackKey(r).equals(stackKey(first))) throw new IllegalArgumentException("run " + r.runId + " cannot join this stack");
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
        this.optimizer = first.train.optimizer;
        this.valueClip = isValueClip(first.train);
        DataType dt = NetworkFactory.dataType(first.train.dtype);
        int nIn = first.task.inputs, nOut = first.task.outputs, layers = depth + 1;
        int[] fanIn = new int[layers], fanOut = new int[layers];
        long total = 0;
        for (int l = 0; l < layers; l++) {
            fanIn[l] = l == 0 ? nIn : first.width;
            fanOut[l] = l == depth ? nOut : first.width;
            total += (long) k * (fanIn[l] + 1) * fanOut[l];
        }
        flatParams = Nd4j.create(dt, total);
        flatGrad = Nd4j.create(dt, total);
        gradScale = Nd4j.create(dt, total);
        adamLr = optimizer == TrainSpec.Optimizer.ADAM ? Nd4j.create(dt, total) : null;
        invBound = valueClip ? Nd4j.create(dt, total) : null;
        gradScaleNow = new double[k];
        adamLrNow = new double[k];
        java.util.Arrays.fill(gradScaleNow, Double.NaN); // nothing written yet
        java.util.Arrays.fill(adamLrNow, Double.NaN);
        int nState = optimizer == TrainSpec.Optimizer.ADAM ? 2 : optimizer == TrainSpec.Optimizer.MOMENTUM ? 1 : 0;
        optState = new INDArray[nState];
        for (int i = 0; i < nState; i++) optState[i] = Nd4j.zeros(dt, total);
        w = new INDArray[layers];
        b = new INDArray[layers];
        dw = new INDArray[layers];
        db = new INDArray[layers];
        segments = new Segment[k][2 * layers];
        stats = new ParamStats[k][2 * layers];
        long off = 0;
        for (int l = 0; l < layers; l++) {
            long nw = (long) k * fanIn[l] * fanOut[l], nb = (long) k * fanOut[l];
            w[l] = view(flatParams, off, nw, fanIn[l], fanOut[l]);
            dw[l] = view(flatGrad, off, nw, fanIn[l], fanOut[l]);
            b[l] = view(flatParams, off + nw, nb, 1, fanOut[l]);
            db[l] = view(flatGrad, off + nw, nb, 1, fanOut[l]);
            String name = l == depth ? "output" : "dense" + l;
            for (int r = 0; r < k; r++) {
                segments[r][2 * l] = new Segment(l, name, "W", (int) (off + (long) r * fanIn[l] * fanOut[l]), fanIn[l] * fanOut[l], true);
                segments[r][2 * l + 1] = new Segment(l, name, "b", (int) (off + nw + (long) r * fanOut[l]), fanOut[l], true);
                stats[r][2 * l] = new ParamStats();
                stats[r][2 * l + 1] = new ParamStats();
            }
            off += nw + nb;
        }
        // z: hidden pre-activations (DL4J's backprop of an activation takes z); h: layer inputs and outputs;
        // eps: dL/da of hidden outputs
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
        ones = Nd4j.ones(dt, k, 1, batch);
        batches = new Batches[k];
        layerInfo = new LayerInfo[depth];
        for (int l = 0; l < depth; l++) layerInfo[l] = new LayerInfo(l, "dense" + l, "dense", act);
        ended = new boolean[k];
        totalMs = new double[k];
        IUpdater shared = null;
        double clipEps = 0;
        for (int r = 0; r < k; r++) {
            RunConfig rc = runs.get(r);
            batches[r] = new Batches(data.get(r), batch, rc.seed, slice(x, r), slice(y, r));
            // Start exactly where the DL4J network of this run starts.
            ComputationGraph net = NetworkFactory.build(rc).graph();
            for (int l = 0; l < layers; l++) {
                org.deeplearning4j.nn.api.Layer layer = net.getLayer(l == depth ? "output" : "dense" + l);
                copyRowMajor(layer.getParam("W"), flatParams, segments[r][2 * l].offset);
                copyRowMajor(layer.getParam("b"), flatParams, segments[r][2 * l + 1].offset);
            }
            ILossFunction lossFn = ((BaseOutputLayer) net.getLayer("output").conf().getLayer()).getLossFn();
            if (lossFn instanceof LossMCXENT) clipEps = ((LossMCXENT) lossFn).getSoftmaxClipEps();
            else if (classification) throw new IllegalArgumentException("run " + rc.runId + ": no stacked loss for " + lossFn);
            IUpdater u = net.getLayer("output").getConfig().getUpdaterByParam("W");
            if (shared != null && !hyperparameters(u).equals(hyperparameters(shared)))
                throw new IllegalArgumentException("run " + rc.runId + ": optimizer " + u + " differs from its stack's " + shared);
            shared = u;
            if (valueClip) fill(invBound, segments[r], 1.0 / (TrainSpec.clipValue(rc.train.clip) * batch));
            this.outs[r].nParams = net.numParams();
            this.outs[r].nLayers = layers;
            this.outs[r].lossBaseline = LossBaseline.of(data.get(r));
        }
        this.updater = shared;
        this.softmaxClipEps = clipEps;
    }

    /** What the stack's shared optimizer step uses of a run's DL4J updater: everything but the learning rate. */
    private static String hyperparameters(IUpdater u) {
        if (u instanceof Nesterovs) {
            Nesterovs n = (Nesterovs) u;
            return "nesterovs " + n.getMomentum() + " " + n.getMomentumISchedule();
        }
        if (u instanceof Adam) {
            Adam a = (Adam) u;
            return "adam " + a.getBeta1() + " " + a.getBeta2() + " " + a.getEpsilon();
        }
        if (u instanceof Sgd) return "sgd";
        throw new IllegalArgumentException("no stacked step for updater " + u);
    }

    /** A [n/(rows·cols), rows, cols] row-major view of flat[off, off + n). */
    private static INDArray view(INDArray flat, long off, long n, int rows, int cols) {
        return Nd4j.create(flat.data(), new long[]{n / ((long) rows * cols), rows, cols}, new long[]{(long) rows * cols, cols, 1}, off, 'c');
    }

    /** Run r's [rows, cols] matrix inside a [k, rows, cols] row-major array. */
    private static INDArray slice(INDArray stacked, int r) {
        long rows = stacked.size(1), cols = stacked.size(2);
        return Nd4j.create(stacked.data(), new long[]{rows, cols}, new long[]{cols, 1}, r * rows * cols, 'c');
    }

    /** Copies a 2-d array (any storage order) into flat[at …] row-major, from the host. */
    private static void copyRowMajor(INDArray src, INDArray flat, int at) {
        HostArray h = HostArray.of(src);
        boolean vector = src.rank() == 1;
        int rows = vector ? 1 : (int) src.size(0), cols = vector ? (int) src.length() : (int) src.size(1), base = HostMemory.offset(flat) + at;
        if (flat.dataType() == DataType.DOUBLE) {
            java.nio.DoubleBuffer b = flat.data().asNioDouble();
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) b.put(base + i * cols + j, h.get(i, j, cols));
        } else {
            java.nio.FloatBuffer b = flat.data().asNioFloat();
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) b.put(base + i * cols + j, (float) h.get(i, j, cols));
        }
    }

    /** Writes {@code v} into the segments' ranges of a flat array, from the host (no ND4J op). */
    private static void fill(INDArray flat, Segment[] segs, double v) {
        int at = HostMemory.offset(flat);
        if (flat.dataType() == DataType.DOUBLE) {
            java.nio.DoubleBuffer b = flat.data().asNioDouble();
            for (Segment s : segs) for (int i = s.offset; i < s.offset + s.length; i++) b.put(at + i, v);
        } else {
            java.nio.FloatBuffer b = flat.data().asNioFloat();
            for (Segment s : segs) for (int i = s.offset; i < s.offset + s.length; i++) b.put(at + i, (float) v);
        }
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
            Nd4j.matmul(h[l], w[l], pre, false, false, false);
            pre.addi(b[l]);
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
        HostArray[] hostActs = new HostArray[depth];
        for (int l = 0; l < depth; l++) hostActs[l] = HostArray.of(h[l + 1].reshape('c', (long) k * batch, h[l + 1].size(2)));
        for (int r = 0; r < k; r++)
            for (int l = 0; l < depth; l++) {
                acts[r][l] = new ActStats(width, act.hasSaturation());
                acts[r][l].add(hostActs[l], r * batch, (r + 1) * batch, act);
            }
        double[] loss = loss(out);
        // backward; DL4J's backprop of the activation turns dL/da into dL/dz (overwriting z, no longer needed)
        INDArray d = dOut;
        for (int l = depth; l >= 0; l--) {
            Nd4j.matmul(h[l], d, dw[l], true, false, false);
            Nd4j.matmul(ones, d, db[l], false, false, false);
            if (l > 0) {
                Nd4j.matmul(d, w[l], eps[l - 1], false, true, false);
                d = fn.backprop(z[l - 1], eps[l - 1]).getFirst();
            }
        }
        // statistics of the raw gradient at the current parameters, then the optimizer step
        HostArray g = HostArray.of(flatGrad), p = HostArray.of(flatParams);
        double scale = 1.0 / batch;
        double[] gradL2 = new double[k];
        boolean[] finite = new boolean[k];
        for (int r = 0; r < k; r++) {
            if (ended[r]) continue;
            double tot = 0;
            long bad = 0;
            for (int i = 0; i < segments[r].length; i++) {
                Segment s = segments[r][i];
                ParamStats st = stats[r][i];
                st.setGradient(g, p, s.offset, s.offset + s.length, scale);
                tot += st.sumSq;
                bad += st.nonfinite;
            }
            gradL2[r] = Math.sqrt(tot);
            finite[r] = Double.isFinite(loss[r]) && bad == 0;
            if (finite[r]) setScales(r, runs.get(r).train, gradL2[r]);
            else stop(r);
        }
        applyOptimizer();
        double ms = (System.nanoTime() - t0) / 1e6 / k; // a stacked step's time, shared by its runs
        for (int r = 0; r < k; r++) {
            if (ended[r]) continue;
            double upd = 0;
            for (int i = 0; i < segments[r].length; i++) {
                Segment s = segments[r][i];
                if (finite[r]) stats[r][i].addUpdate(g, s.offset, s.offset + s.length); // the buffer now holds the update
                else stats[r][i].noUpdate();
                upd += stats[r][i].updateSumSq;
            }
            RunRecorder rec = recs[r];
            rec.step(step, loss[r], gradL2[r], finite[r] ? Math.sqrt(upd) : Double.NaN, runs.get(r).train.lrAt(step), ms);
            for (int i = 0; i < segments[r].length; i++) rec.param(step, segments[r][i], stats[r][i]);
            for (int l = 0; l < depth; l++) rec.layer(step, layerInfo[l], acts[r][l], Double.NaN);
            RunOutcome o = outs[r];
            totalMs[r] += ms;
            o.addLoss(loss[r]);
            o.stepsDone = step + 1;
            o.msPerStep = totalMs[r] / o.stepsDone;
            if (!finite[r]) {
                ended[r] = true;
                o.status = RunOutcome.Status.DIVERGED;
                o.error = "non-finite " + (Double.isFinite(loss[r]) ? "gradient" : "loss") + " at step " + step;
                fill(flatParams, segments[r], 0); // keeps its slices finite, so NaN never reaches a shared op
            }
        }
        step++;
    }

    /**
     * Run r's factors for this step, as TrainLoop applies them: norm clipping scales the batch-summed gradient by
     * c / ‖mean-loss gradient‖ when that exceeds c, value clipping bounds it by c·batch (the clamp works on the
     * gradient divided by that bound, so the bound comes back here), then 1/batch, then the learning rate.
     */
    private void setScales(int r, TrainSpec t, double meanGradL2) {
        String kind = TrainSpec.clipKind(t.clip);
        double c = TrainSpec.clipValue(t.clip), lr = t.lrAt(step);
        double clip = kind.equals("norm") && meanGradL2 > c ? c / meanGradL2 : 1;
        double bound = kind.equals("value") ? c * batch : 1;
        boolean adam = optimizer == TrainSpec.Optimizer.ADAM;
        setRun(gradScale, gradScaleNow, r, clip * bound / batch * (adam ? 1 : lr));
        if (adam) setRun(adamLr, adamLrNow, r, lr);
    }

    /**
     * Run r learns no more: its gradient (possibly NaN) and optimizer state are zeroed and its factors set to 0, so
     * its update is exactly 0 from this step on and NaN never enters the shared ops.
     */
    private void stop(int r) {
        fill(flatGrad, segments[r], 0);
        for (INDArray s : optState) fill(s, segments[r], 0);
        setRun(gradScale, gradScaleNow, r, 0);
        if (adamLr != null) setRun(adamLr, adamLrNow, r, 0);
    }

    /** Turns the batch-summed gradient of every run into its update, in place, and applies it. */
    private void applyOptimizer() {
        if (valueClip) {
            flatGrad.muli(invBound);
            Transforms.min(flatGrad, 1.0, false);
            Transforms.max(flatGrad, -1.0, false);
        }
        flatGrad.muli(gradScale);
        switch (optimizer) {
            case MOMENTUM: // v = μv − lr·g with lr already in the gradient
                Nd4j.exec(new NesterovsUpdater(flatGrad, optState[0], 1.0, ((Nesterovs) updater).currentMomentum(step, 0)));
                break;
            case ADAM: { // the update is linear in lr: ND4J's Adam at lr 1, then each run's lr
                Adam a = (Adam) updater;
                Nd4j.exec(new AdamUpdater(flatGrad, optState[1], optState[0], 1.0, a.getBeta1(), a.getBeta2(), a.getEpsilon(), step));
                flatGrad.muli(adamLr);
                break;
            }
            default: break; // SGD: the scaled gradient is the update
        }
        flatParams.subi(flatGrad);
    }

    /** Writes v over run r's segments of a per-element factor vector, when it changed. */
    private void setRun(INDArray flat, double[] now, int r, double v) {
        if (now[r] == v) return;
        fill(flat, segments[r], v);
        now[r] = v;
    }

    /**
     * Per-run mean loss (DL4J's score): MSE averaged over outputs, or cross-entropy, averaged over the batch. The
     * cross-entropy takes log of the softmax output clipped as LossMCXENT clips it, in the array's precision, so an
     * output that underflowed to 0 costs −ln(eps) as in DL4J instead of an infinite loss; the gradient (softmax −
     * labels) is unclipped in DL4J and here. The sums run in double; a float32 score that DL4J's float32 sum would
     * overflow is infinite here too, so both engines see the same non-finite loss.
     */
    private double[] loss(INDArray out) {
        HostArray o = HostArray.of(out), t = HostArray.of(y);
        int per = (int) (out.size(1) * out.size(2));
        boolean f32 = out.dataType() == DataType.FLOAT;
        double lo = softmaxClipEps, hi = 1.0 - softmaxClipEps;
        double[] l = new double[k];
        for (int r = 0; r < k; r++) {
            double s = 0;
            for (int i = r * per; i < (r + 1) * per; i++) {
                double pv = o.get(i), tv = t.get(i);
                if (classification) {
                    double pc = pv < lo ? lo : pv > hi ? hi : pv; // NaN stays NaN, as with DL4J's replaceWhere
                    s -= tv * Math.log(f32 ? (float) pc : pc);
                } else s += (pv - tv) * (pv - tv);
            }
            // DL4J sums a float32 score in float32: its terms are non-negative, so it overflows when the total does
            if (f32 && s > Float.MAX_VALUE) s = Double.POSITIVE_INFINITY;
            l[r] = classification ? s / batch : s / out.size(2) / batch;
        }
        return l;
    }
}
