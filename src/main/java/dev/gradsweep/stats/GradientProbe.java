package dev.gradsweep.stats;

import dev.gradsweep.model.GradTap;
import dev.gradsweep.model.Net;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Computes the statistics (docs/schema.md) of one network every step. The parameter statistics are segment reductions
 * over the network's single flat gradient / parameter buffers (no ND4J op per parameter); the activation statistics
 * are taken in DL4J's forward-pass callback, while the activations are live; the gradient at each block output is
 * reduced by the block's {@link GradTap} during the backward pass. Every reduction goes through the run's
 * {@link TrainingMemory} and is deferred until the step ends ({@link #step} or {@link #complete}), so a step's
 * results reach the host in one transfer.
 */
public final class GradientProbe extends BaseTrainingListener {
    /** Gradient segments only (batch norm's running statistics are left out: they are not gradients). */
    private final Segment[] segments;

    private final ParamStats[] stats;
    private final Net.Recorded[] recorded;
    private final LayerInfo[] layers;
    private final ActStats[] act;
    /** Σ (∂L/∂a)² per recorded output with a tap (NaN without), of DL4J's batch-summed loss. */
    private final double[] outGradSq;

    private final INDArray grad, params;
    private final TrainingMemory memory;
    /** Σp² per segment of the current parameters, kept by the fused {@link ParamStep}; null without it. */
    private double[] paramSq;
    /** paramSq when the gradient was reduced: the parameters it was computed at (the step overwrites paramSq). */
    private double[] paramSqAtGradient;

    private double scale = 1;
    private boolean actsSeen;

    public GradientProbe(Net net) {
        this(net, TrainingMemory.forBackend());
    }

    public GradientProbe(Net net, TrainingMemory memory) {
        this.memory = memory;
        ComputationGraph g = net.graph();
        this.segments =
                java.util.Arrays.stream(segmentsOf(net)).filter(s -> s.gradient).toArray(Segment[]::new);
        this.stats = new ParamStats[segments.length];
        for (int i = 0; i < stats.length; i++) stats[i] = new ParamStats();
        this.recorded = net.recorded().toArray(new Net.Recorded[0]);
        this.layers = new LayerInfo[recorded.length];
        this.act = new ActStats[recorded.length];
        this.outGradSq = new double[recorded.length];
        java.util.Arrays.fill(outGradSq, Double.NaN);
        for (int i = 0; i < recorded.length; i++) {
            Net.Recorded r = recorded[i];
            GraphVertex v = g.getVertex(r.vertex());
            layers[i] = new LayerInfo(r.layer(), r.name(), r.kind(), r.fn());
            if (v instanceof GradTap.Impl) {
                final int k = i;
                ((GradTap.Impl) v).sink = eps -> tap(k, eps);
            }
        }
        this.grad = g.getGradientsViewArray();
        this.params = g.params();
    }

    /**
     * Every parameter array in flat-buffer order, located by its view's offset into the flat parameter buffer (the
     * gradient buffer has the same layout); checked to tile the buffer exactly.
     */
    public static Segment[] segmentsOf(Net net) {
        ComputationGraph g = net.graph();
        List<Owner> owners = new ArrayList<>();
        for (GraphVertex v : g.getVertices()) {
            if (!v.hasLayer() || v.getLayer().numParams() == 0) continue;
            String name = v.getVertexName();
            Integer l = net.layerOf().get(name);
            if (l == null) throw new IllegalStateException("vertex " + name + " has parameters but no layer index");
            owners.add(new Owner(l, name, v.getLayer()));
        }
        return segmentsOf(owners, g.params());
    }

    /** A DL4J layer and the index and name its params rows carry. */
    public record Owner(int index, String name, Layer layer) {}

    /** The parameter arrays of {@code owners} in the order of the flat buffer {@code params}, which they must tile. */
    public static Segment[] segmentsOf(List<Owner> owners, INDArray params) {
        long base = params.offset();
        List<Segment> out = new ArrayList<>();
        for (Owner o : owners)
            for (Map.Entry<String, INDArray> e : o.layer().paramTable().entrySet())
                out.add(new Segment(
                        o.index(),
                        o.name(),
                        e.getKey(),
                        (int) (e.getValue().offset() - base),
                        (int) e.getValue().length(),
                        o.layer().updaterDivideByMinibatch(e.getKey())));
        out.sort(Comparator.comparingInt(s -> s.offset));
        int offset = 0;
        for (Segment s : out) {
            if (s.offset != offset)
                throw new IllegalStateException(
                        "parameter " + s.layerName + "_" + s.param + " at " + s.offset + ", expected " + offset);
            offset += s.length;
        }
        if (offset != params.length())
            throw new IllegalStateException("segments cover " + offset + " of " + params.length() + " params");
        return out.toArray(new Segment[0]);
    }

    public Segment[] segments() {
        return segments;
    }

    /**
     * Reduces the raw gradient (before the updater) and the parameters it was computed at; the results arrive when
     * the step ends. DL4J's gradient is the sum over the minibatch; {@code scale} = 1/batch turns it into the gradient
     * of the reported (mean) loss.
     */
    public void onGradient(double scale) {
        this.scale = scale;
        memory.gradient(grad, paramSq == null ? params : null, segments, scale, stats);
        if (paramSq != null) paramSqAtGradient = paramSq.clone();
    }

    /** Norm clipping of the raw gradient to a mean-loss gradient norm of c, before the updater (the norm stays put). */
    public void clipNorm(double c) {
        memory.clipByNorm(grad, new Segment[][] {segments}, new double[] {c});
    }

    /**
     * Steps the parameters (p ← p − u, the update being in the gradient buffer), reduces the update applied and ends
     * the step: its results, the gradient's included, reach the host together. With a reducing step both come from
     * one pass, which also keeps Σp² of the new parameters for the next step.
     *
     * @return the global L2 norm of the update
     */
    public double step(ParamStep step) {
        if (!step.reduces()) {
            step.apply();
            memory.update(grad, segments, stats); // the flat gradient buffer holds the update now
        } else {
            if (paramSq == null)
                throw new IllegalStateException("a reducing step needs fuseParamStep() before the first gradient");
            step.apply(segments, stats, paramSq);
        }
        complete();
        double total = 0;
        for (ParamStats s : stats) total += s.updateSumSq;
        return Math.sqrt(total);
    }

    /** Ends a step without a parameter step: the gradient's results (and the forward pass's) reach the host. */
    public void complete() {
        memory.sync();
        if (paramSqAtGradient != null)
            for (int i = 0; i < segments.length; i++) stats[i].paramSumSq = paramSqAtGradient[i];
    }

    /** The global L2 norm of the scaled gradient (NaN/Inf if any element is non-finite), once the step has ended. */
    public double gradL2() {
        double total = 0;
        for (ParamStats s : stats) total += s.sumSq;
        return Math.sqrt(total);
    }

    /** From now on Σp² comes from the reducing {@link ParamStep}; one pass here gives the current parameters'. */
    public void fuseParamStep() {
        paramSq = new double[segments.length];
        memory.sumSq(params, segments, paramSq);
        memory.sync();
    }

    /** This step's update is not one to record (the run diverged): its update statistics are not applicable. */
    public void noUpdate() {
        for (ParamStats s : stats) s.noUpdate();
    }

    public long nonfinite() {
        long n = 0;
        for (ParamStats s : stats) n += s.nonfinite;
        return n;
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        // outputs of one shape and function are reduced together (the portable path then needs a few ops, not a few per
        // layer)
        Map<String, List<Integer>> groups = new java.util.LinkedHashMap<>();
        for (int i = 0; i < recorded.length; i++) {
            INDArray a = activations.get(recorded[i].vertex());
            act[i] = new ActStats((int) a.size(1), layers[i].fn != null && layers[i].fn.hasSaturation());
            groups.computeIfAbsent(layers[i].fn + " " + a.size(0) + "x" + a.size(1), k -> new ArrayList<>())
                    .add(i);
        }
        for (List<Integer> g : groups.values()) {
            INDArray[] arrays = new INDArray[g.size()];
            ActStats[] into = new ActStats[g.size()];
            for (int j = 0; j < arrays.length; j++) {
                arrays[j] = activations.get(recorded[g.get(j)].vertex());
                into[j] = act[g.get(j)];
            }
            memory.activations(arrays, 1, layers[g.get(0)].fn, into);
        }
        actsSeen = true;
    }

    private void tap(int k, INDArray eps) {
        memory.sumSq(eps, outGradSq, k);
    }

    /** Sends this step's parameter and layer rows to {@code rec}. */
    public void emit(int step, RunRecorder rec) {
        for (int i = 0; i < segments.length; i++) rec.param(step, segments[i], stats[i]);
        if (actsSeen)
            for (int i = 0; i < layers.length; i++) rec.layer(step, layers[i], act[i], Math.sqrt(outGradSq[i]) * scale);
        actsSeen = false;
    }
}
