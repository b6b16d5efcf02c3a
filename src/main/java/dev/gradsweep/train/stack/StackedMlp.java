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
import dev.gradsweep.train.ParamStats;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.RunRecorder;
import dev.gradsweep.train.Segment;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/**
 * K plain-MLP runs of identical shapes trained as one batched computation: every layer is a rank-3 matmul
 * [K, batch, in] × [K, in, out], so ND4J's fixed per-op cost (tens of µs) is paid once for K runs. Forward and
 * backward are written out by hand for the activations whose derivative follows from their output; parameters
 * start as the DL4J network of each run would (they are copied from it), the loss and gradient conventions are
 * DL4J's (gradient summed over the batch, SGD step lr/batch · gradient), and each run keeps its own statistics and
 * rows. A run that diverges stops recording and no longer updates; the others go on.
 */
public final class StackedMlp {
    /** Activations whose derivative the backward pass recovers from the layer output. */
    public static final List<Activation> ACTIVATIONS = List.of(Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.IDENTITY);

    private final List<RunConfig> runs;
    private final RunRecorder[] recs;
    private final RunOutcome[] outs;
    private final int k, depth, width, batch;
    private final Activation act;
    private final boolean classification;
    private final INDArray flatParams, flatGrad, flatUpdate, lrOverBatch;
    private final INDArray[] w, b, dw, db, h, delta;
    private final INDArray x, y, ones;
    private final Batches[] batches;
    private final Segment[][] segments; // [run][array]
    private final ParamStats[][] stats;
    private final LayerInfo[] layerInfo;
    private final boolean[] ended;
    private final double[] totalMs;
    private int step;

    /** True when {@code rc} can be trained by this engine; the others take the DL4J path. */
    public static boolean supports(RunConfig rc) {
        return rc.norm.equals("none") && rc.skip.equals("none") && rc.train.optimizer == TrainSpec.Optimizer.SGD
                && rc.train.clip.equals("none") && rc.train.warmup == 0 && ACTIVATIONS.contains(rc.activation);
    }

    /** Runs that may share a stack: equal in everything but seed, initializer and learning rate. */
    public static String stackKey(RunConfig rc) {
        return rc.depth + "/" + rc.width + "/" + rc.activation.key + "/" + rc.task.canonical() + "/" + rc.train.batch + "/"
                + rc.train.steps + "/" + rc.train.dtype;
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
        this.classification = first.task.objective == TaskSpec.Objective.CLASSIFICATION;
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
        flatUpdate = Nd4j.create(dt, total);
        lrOverBatch = Nd4j.create(dt, total);
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
        h = new INDArray[layers + 1];
        delta = new INDArray[layers];
        x = Nd4j.create(dt, k, batch, nIn);
        y = Nd4j.create(dt, k, batch, nOut);
        h[0] = x;
        for (int l = 0; l < layers; l++) {
            h[l + 1] = Nd4j.create(dt, k, batch, fanOut[l]);
            delta[l] = Nd4j.create(dt, k, batch, fanOut[l]);
        }
        ones = Nd4j.ones(dt, k, 1, batch);
        batches = new Batches[k];
        layerInfo = new LayerInfo[depth];
        for (int l = 0; l < depth; l++) layerInfo[l] = new LayerInfo(l, "dense" + l, "dense", act);
        ended = new boolean[k];
        totalMs = new double[k];
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
            fill(lrOverBatch, segments[r], rc.train.lr / batch);
            this.outs[r].nParams = net.numParams();
            this.outs[r].nLayers = layers;
        }
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
        for (int r = 0; r < k; r++) batches[r].next();
        int layers = depth + 1;
        // forward
        for (int l = 0; l < layers; l++) {
            INDArray z = h[l + 1];
            Nd4j.matmul(h[l], w[l], z, false, false, false);
            z.addi(b[l]);
            if (l < depth) activate(z);
            else if (classification) Nd4j.exec(new SoftMax(z, z, -1));
        }
        // dL/dz of the output, per example and summed over the batch later (DL4J's convention)
        INDArray out = h[layers], d = delta[depth];
        d.assign(out).subi(y);
        if (!classification) d.muli(2.0 / out.size(2));
        ActStats[][] acts = new ActStats[k][depth];
        HostArray[] hostActs = new HostArray[depth];
        for (int l = 0; l < depth; l++) hostActs[l] = HostArray.of(h[l + 1].reshape('c', (long) k * batch, h[l + 1].size(2)));
        for (int r = 0; r < k; r++)
            for (int l = 0; l < depth; l++) {
                acts[r][l] = new ActStats(width, act.hasSaturation());
                acts[r][l].add(hostActs[l], r * batch, (r + 1) * batch, act);
            }
        double[] loss = loss(out);
        // backward
        for (int l = depth; l >= 0; l--) {
            Nd4j.matmul(h[l], delta[l], dw[l], true, false, false);
            Nd4j.matmul(ones, delta[l], db[l], false, false, false);
            if (l > 0) {
                Nd4j.matmul(delta[l], w[l], delta[l - 1], false, true, false);
                delta[l - 1].muli(slope(h[l]));
            }
        }
        // statistics of the raw gradient at the current parameters, then the SGD step
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
            if (!finite[r]) fill(lrOverBatch, segments[r], 0); // a diverged run no longer learns
        }
        flatUpdate.assign(flatGrad).muli(lrOverBatch);
        flatParams.subi(flatUpdate);
        HostArray u = HostArray.of(flatUpdate);
        double ms = (System.nanoTime() - t0) / 1e6 / k; // a stacked step's time, shared by its runs
        for (int r = 0; r < k; r++) {
            if (ended[r]) continue;
            double upd = 0;
            for (int i = 0; i < segments[r].length; i++) {
                Segment s = segments[r][i];
                if (finite[r]) stats[r][i].addUpdate(u, s.offset, s.offset + s.length);
                upd += stats[r][i].updateSumSq;
            }
            RunRecorder rec = recs[r];
            rec.step(step, loss[r], gradL2[r], finite[r] ? Math.sqrt(upd) : Double.NaN, runs.get(r).train.lr, ms);
            for (int i = 0; i < segments[r].length; i++) rec.param(step, segments[r][i], stats[r][i]);
            for (int l = 0; l < depth; l++) rec.layer(step, layerInfo[l], acts[r][l], Double.NaN);
            RunOutcome o = outs[r];
            totalMs[r] += ms;
            if (step == 0) o.lossFirst = loss[r];
            o.lossLast = loss[r];
            if (Double.isFinite(loss[r]) && !(loss[r] >= o.lossBest)) o.lossBest = loss[r];
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

    /** Per-run mean loss (DL4J's score): MSE averaged over outputs, or cross-entropy, averaged over the batch. */
    private double[] loss(INDArray out) {
        HostArray o = HostArray.of(out), t = HostArray.of(y);
        int per = (int) (out.size(1) * out.size(2));
        double[] l = new double[k];
        for (int r = 0; r < k; r++) {
            double s = 0;
            for (int i = r * per; i < (r + 1) * per; i++) {
                double pv = o.get(i), tv = t.get(i);
                s += classification ? (tv == 0 ? 0 : -tv * Math.log(pv)) : (pv - tv) * (pv - tv);
            }
            l[r] = classification ? s / batch : s / out.size(2) / batch;
        }
        return l;
    }

    private void activate(INDArray z) {
        switch (act) {
            case SIGMOID: Transforms.sigmoid(z, false); break;
            case TANH: Transforms.tanh(z, false); break;
            case RELU: Transforms.relu(z, false); break;
            default: break; // identity
        }
    }

    /** f'(z) from a = f(z), as a new array. */
    private INDArray slope(INDArray a) {
        switch (act) {
            case SIGMOID: return a.sub(a.mul(a));
            case TANH: return a.mul(a).rsubi(1.0);
            case RELU: return Transforms.sign(a, true);
            default: return Nd4j.onesLike(a);
        }
    }
}
