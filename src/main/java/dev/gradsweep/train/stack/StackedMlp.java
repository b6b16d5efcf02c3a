package dev.gradsweep.train.stack;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.Cell;
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
import dev.gradsweep.train.LossBaseline;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * K runs of identical shapes trained as one batched computation: plain MLPs and NetworkFactory's block nets (stem,
 * residual, ReZero and highway blocks, layer or batch norm before or after the sum, the final norm). Every dense
 * layer is a rank-3 matmul [K, batch, in] × [K, in, out], so ND4J's fixed per-op cost (tens of µs) is paid once for
 * K runs. Each DL4J layer or vertex group is one {@link Part} ({@link Dense}, {@link StackedLayerNorm},
 * {@link StackedBatchNorm}, {@link Gain}, {@link Activate}, {@link Block}, {@link Highway}) with forward and backward
 * written out around DL4J's own activation functions. Parameters start as the DL4J network of each run would (they are copied from it), the loss
 * and gradient conventions are DL4J's (gradient summed over the batch, divided by it before the optimizer), and each
 * run keeps its own statistics and rows, in the order DL4J's probe records them. The buffers are a
 * {@link StackLayout}, the optimizer step a {@link StackedOptimizer}, the loss a {@link StackedLoss}; statistics,
 * fills and copies go through the stack's {@link TrainingMemory}. A run that diverges stops recording and no longer
 * updates; the others go on.
 */
public final class StackedMlp {
    private final List<RunConfig> runs;
    private final RunRecorder[] recs;
    private final RunOutcome[] outs;
    private final int k, batch;
    private final boolean classification;
    private final StackLayout at;
    private final StackedOptimizer optimizer;
    private final StackedLoss loss;
    private final TrainingMemory memory;
    /** Host copies of the outputs and targets, for the loss. */
    private final double[] outHost, yHost;
    /** The network's parts in forward order, the output layer last. */
    private final List<Part> parts = new ArrayList<>();
    /** The measured outputs in table order (DL4J's probe's), their parts and taps (null: no tap). */
    private final LayerInfo[] layerInfo;

    private final Part[] recorded;
    /** Their outputs as [K·batch, units] views (each part's output is the same buffer every step). */
    private final INDArray[] recordedRows;

    private final Tap[] taps;
    /** Measured outputs grouped by the function that produced them: one seam call per group. */
    private final int[][] actGroups;

    private final INDArray x, y, dOut;
    private final Batches[] batches;
    private final boolean[] ended;
    private int step;

    /** True when {@code rc} can be trained by this engine; the others (recurrent cells) take the DL4J path. */
    public static boolean supports(RunConfig rc) {
        // gradsweep's own MLPs only (not a model factory's), and no stacked RMSNorm: those runs train one by one
        return rc.user == null && rc.cell == Cell.NONE && rc.arch == Arch.MLP && rc.norm != Norm.RMS;
    }

    /**
     * Runs that may share a stack: equal in every shape (depth, width, activation, norm, placement, skip, task) and in
     * the optimizer; they may differ in seed, initializer, learning rate, warmup, clip value and highway gate bias. Norm clipping is a per-run gradient scale, so it stacks with unclipped
     * runs; value clipping adds a clamp over the whole buffer, so only value-clipped runs stack together.
     */
    public static String stackKey(RunConfig rc) {
        return rc.depth + "/" + rc.width + "/" + rc.activation.key + "/" + rc.norm + "/" + rc.placement + "/" + rc.skip
                + "/" + rc.task.canonical() + "/" + rc.train.batch
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
        this.batch = first.train.batch;
        this.classification = first.task.objective == TaskSpec.Objective.CLASSIFICATION;
        DataType dt = NetworkFactory.dataType(first.train.dtype);
        int nIn = first.task.inputs, nOut = first.task.outputs;
        // Each run's DL4J network only lends its initial parameters: built one at a time and closed once copied (its
        // native buffers would otherwise wait for a collection), the first one last, as it also gives the shapes.
        Net net0 = NetworkFactory.build(first);
        List<StackLayout.Param> params = new ArrayList<>();
        Segment[] segs = GradientProbe.segmentsOf(net0);
        for (Segment sg : segs) {
            long[] shape =
                    net0.graph().getLayer(sg.layerName).getParam(sg.param).shape();
            int cols = (int) shape[shape.length - 1]; // a bias may be [n] or [1, n]
            params.add(new StackLayout.Param(sg.layer, sg.layerName, sg.param, sg.length / cols, cols, sg.gradient));
        }
        at = new StackLayout(k, params, dt);
        Ctx c = new Ctx(k, batch, dt, at, memory);
        Map<String, Part> byVertex = new HashMap<>();
        Map<String, Tap> tapOf = new HashMap<>();
        build(first, net0.graph(), c, byVertex, tapOf);
        x = Nd4j.create(dt, k, batch, nIn);
        y = Nd4j.create(dt, k, batch, nOut);
        dOut = Nd4j.create(dt, k, batch, nOut);
        outHost = new double[k * batch * nOut];
        yHost = new double[k * batch * nOut];
        List<Net.Recorded> rec = net0.recorded();
        layerInfo = new LayerInfo[rec.size()];
        recorded = new Part[rec.size()];
        recordedRows = new INDArray[rec.size()];
        taps = new Tap[rec.size()];
        Map<Activation, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < rec.size(); i++) {
            Net.Recorded nr = rec.get(i);
            layerInfo[i] = new LayerInfo(nr.layer(), nr.name(), nr.kind(), nr.fn());
            recorded[i] = byVertex.get(nr.vertex());
            if (recorded[i] == null) throw new IllegalStateException("no stacked part for vertex " + nr.vertex());
            recordedRows[i] = Ctx.rows(recorded[i].output());
            taps[i] = tapOf.get(nr.vertex());
            groups.computeIfAbsent(nr.fn(), f -> new ArrayList<>()).add(i);
        }
        actGroups = groups.values().stream()
                .map(g -> g.stream().mapToInt(Integer::intValue).toArray())
                .toArray(int[][]::new);
        batches = new Batches[k];
        ended = new boolean[k];
        IUpdater shared = null;
        double clipEps = 0;
        boolean valueClip = StackedOptimizer.isValueClip(first.train);
        double[] valueBound = valueClip ? new double[k] : null;
        for (int r = 0; r < k; r++) {
            RunConfig rc = runs.get(r);
            batches[r] =
                    new Batches(data.get(r), batch, rc.seed, StackLayout.slice(x, r), StackLayout.slice(y, r), memory);
            ComputationGraph net =
                    r == 0 ? net0.graph() : NetworkFactory.build(rc).graph();
            for (int i = 0; i < params.size(); i++) {
                StackLayout.Param q = params.get(i);
                memory.copyRowMajor(
                        net.getLayer(q.layerName()).getParam(q.key()), at.flatParams, at.segments[r][i].offset);
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
            this.outs[r].nLayers = rc.depth + 1;
            this.outs[r].lossBaseline = LossBaseline.of(data.get(r));
            if (r > 0) release(net);
        }
        release(net0.graph());
        this.optimizer = new StackedOptimizer(at, first.train.optimizer, shared, batch, valueBound, dt, memory);
        this.loss = new StackedLoss(classification, clipEps);
    }

    /**
     * The parts of NetworkFactory's network for {@code rc} (built as {@code net}), under its vertex names (for the
     * measured outputs and their taps); the output layer last.
     */
    private void build(RunConfig rc, ComputationGraph net, Ctx c, Map<String, Part> byVertex, Map<String, Tap> tapOf) {
        Activation act = rc.activation;
        int width = rc.width;
        String ln = NetworkFactory.suffix(rc.norm);
        java.util.function.Function<String, Part> norm = name -> norm(rc.norm, net, c, name, width);
        if (rc.skip == Skip.NONE) {
            for (int l = 0; l < rc.depth; l++) {
                String name = "dense" + l;
                if (rc.norm == Norm.NONE) {
                    Part d = new Dense(c, name, act, true, l > 0);
                    parts.add(d);
                    byVertex.put(name, d);
                } else {
                    parts.add(new Dense(c, name, Activation.IDENTITY, false, l > 0));
                    parts.add(norm.apply(name + ln));
                    Part a = new Activate(c, act, width);
                    parts.add(a);
                    byVertex.put(name + ".act", a);
                }
            }
        } else {
            parts.add(new Dense(c, "stem", Activation.IDENTITY, true, false));
            boolean pre = rc.placement == Placement.PRE, normed = rc.norm != Norm.NONE;
            for (int l = 0; l < rc.depth; l++) {
                String b = "block" + l;
                Part preNorm = normed && pre ? norm.apply(b + ln) : null;
                Part postNorm = normed && !pre ? norm.apply(b + ln) : null;
                Dense fc1 = new Dense(c, b + ".fc1", act, true, true);
                byVertex.put(b + ".fc1", fc1);
                Tap tap = new Tap(c, width, memory);
                tapOf.put(b, tap);
                Part block;
                if (rc.skip == Skip.HIGHWAY) {
                    Dense gate = new Dense(c, b + ".gate", Activation.SIGMOID, true, true);
                    byVertex.put(b + ".gate", gate);
                    block = new Highway(c, width, preNorm, fc1, gate, postNorm, tap);
                } else {
                    Part fc2 = new Dense(c, b + ".fc2", Activation.IDENTITY, true, true);
                    Part gain = rc.skip == Skip.REZERO ? new Gain(c, b + ".rezero", width) : null;
                    block = new Block(c, width, preNorm, fc1, fc2, gain, postNorm, tap);
                }
                parts.add(block);
                byVertex.put(b, block);
            }
            if (normed && pre) parts.add(norm.apply("final" + ln));
        }
        parts.add(new Dense(c, "output", Activation.IDENTITY, true, !parts.isEmpty()));
    }

    /**
     * The stacked part of norm layer {@code name} of {@code net}. Batch norm takes its decay and epsilon from the
     * DL4J layer, and is refused (so the stack falls back to one-by-one training) where DL4J would not run its
     * built-in path, whose operations the part repeats: with a helper (cuDNN, oneDNN) or a configuration other than
     * NetworkFactory's.
     */
    private static Part norm(Norm kind, ComputationGraph net, Ctx c, String name, int width) {
        if (kind == Norm.LAYER) return new StackedLayerNorm(c, name, width);
        org.deeplearning4j.nn.layers.normalization.BatchNormalization layer =
                (org.deeplearning4j.nn.layers.normalization.BatchNormalization) net.getLayer(name);
        org.deeplearning4j.nn.conf.layers.BatchNormalization conf =
                (org.deeplearning4j.nn.conf.layers.BatchNormalization)
                        layer.conf().getLayer();
        if (layer.getHelper() != null || !conf.isUseLogStd() || conf.isLockGammaBeta())
            throw new IllegalArgumentException("no stacked batch norm for " + name + " (helper " + layer.getHelper()
                    + ", useLogStd " + conf.isUseLogStd() + ", lockGammaBeta " + conf.isLockGammaBeta() + ")");
        return new StackedBatchNorm(c, name, width, conf.getDecay(), conf.getEps());
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
        // forward; the output layer is linear, softmax follows for classification
        INDArray out = x;
        for (Part p : parts) out = p.forward(out);
        if (classification) Nd4j.exec(new SoftMax(out, out, -1));
        // dL/dz of the output, per example and summed over the batch later (DL4J's convention)
        dOut.assign(out).subi(y);
        if (!classification) dOut.muli(2.0 / out.size(2));
        ActStats[][] acts = new ActStats[k][recorded.length];
        for (int[] group : actGroups) {
            ActStats[] into = new ActStats[group.length * k];
            INDArray[] arrays = new INDArray[group.length];
            for (int j = 0; j < group.length; j++) {
                int i = group[j];
                LayerInfo li = layerInfo[i];
                arrays[j] = recordedRows[i];
                for (int r = 0; r < k; r++)
                    into[j * k + r] =
                            acts[r][i] = new ActStats((int) arrays[j].size(1), li.fn != null && li.fn.hasSaturation());
            }
            memory.activations(arrays, k, layerInfo[group[0]].fn, into);
        }
        memory.read(out, outHost);
        memory.read(y, yHost);
        // backward; the first part's input is the data, whose gradient nobody needs
        INDArray d = dOut;
        for (int i = parts.size() - 1; i >= 0; i--) d = parts.get(i).backward(d);
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
            for (int i = 0; i < at.measured[r].length; i++) rec.param(step, at.measured[r][i], at.stats[r][i]);
            for (int i = 0; i < recorded.length; i++)
                rec.layer(
                        step,
                        layerInfo[i],
                        acts[r][i],
                        taps[i] == null ? Double.NaN : Math.sqrt(taps[i].sumSq[r]) / batch); // the mean loss's
            outs[r].endStep(loss[r], ms, finite[r]);
            if (!finite[r]) {
                ended[r] = true;
                memory.fill(
                        at.flatParams, at.segments[r], 0); // keeps its slices finite, so NaN never reaches a shared op
            }
        }
        step++;
    }

    /** A copy of run r's parameter array ({@code layerName}, {@code key}) as it is now, flat in row-major order. */
    INDArray param(int r, String layerName, String key) {
        Segment s = at.segments[r][at.of(layerName, key)];
        return at.flatParams
                .get(NDArrayIndex.interval(s.offset, s.offset + s.length))
                .dup();
    }

    /** Norm clipping of each selected run with a "norm:c" rule, by its own gradient norm. */
    private void clipByNorm(boolean[] runs) {
        List<Segment[]> sets = new java.util.ArrayList<>();
        List<Double> bounds = new java.util.ArrayList<>();
        for (int r = 0; r < k; r++)
            if (runs[r] && TrainSpec.clipKind(this.runs.get(r).train.clip).equals("norm")) {
                sets.add(at.measured[r]);
                bounds.add(TrainSpec.clipValue(this.runs.get(r).train.clip));
            }
        if (!sets.isEmpty())
            memory.clipByNorm(
                    at.flatGrad,
                    sets.toArray(new Segment[0][]),
                    bounds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The measured segments of the selected runs, run by run. */
    private Segment[] segmentsOf(boolean[] runs) {
        List<Segment> out = new java.util.ArrayList<>();
        for (int r = 0; r < k; r++) if (runs[r]) out.addAll(List.of(at.measured[r]));
        return out.toArray(new Segment[0]);
    }

    /** Their statistics, in the same order. */
    private ParamStats[] statsOf(boolean[] runs) {
        List<ParamStats> out = new java.util.ArrayList<>();
        for (int r = 0; r < k; r++) if (runs[r]) out.addAll(List.of(at.stats[r]));
        return out.toArray(new ParamStats[0]);
    }

    /**
     * Frees a network's parameter and gradient buffers now. Not {@code ComputationGraph.close()}: that also calls
     * {@code System.gc()}, a full collection per network, K of them per stack (StackedMlpTest 5 -> 12 s alone).
     */
    private static void release(ComputationGraph g) {
        for (INDArray a : new INDArray[] {g.params(), g.getGradientsViewArray()})
            if (a != null && a.closeable()) a.close();
    }
}
