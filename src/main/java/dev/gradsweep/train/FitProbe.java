package dev.gradsweep.train;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.GradientProbe;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The statistics of every step of a network that DL4J's own {@code fit} trains (a {@code MultiLayerNetwork} or a
 * {@code ComputationGraph} its owner built), as a DL4J listener: the same rows and the same reductions as a sweep's
 * {@link GradientProbe} (docs/api.md). DL4J calls it, per iteration, with the forward pass's activations (every layer
 * but the output layers), once the raw gradient is computed (before the updater: reduced times 1/minibatch, the
 * gradient of the mean loss, as a sweep records it), and when the iteration is done (the gradient buffer then holds
 * the update applied). δ of a layer is its bias (b) or batch norm's β gradient; a layer with neither says so in its
 * layers rows ({@code delta_from}). The first non-finite step ends the run as {@code diverged}: later steps are not
 * recorded.
 */
public final class FitProbe extends BaseTrainingListener {
    private final RunRecorder rec;
    private final RunOutcome out;
    private final TrainingMemory memory;

    private Model model;
    private INDArray grad, params;
    /** Gradient segments only (batch norm's running statistics are not gradients). */
    private Segment[] segments;

    private ParamStats[] stats;
    private LayerInfo[] layers;
    /** Per layer: its activations this step (null: none handed over). */
    private ActStats[] act;
    /** The updater of the first parameter array, whose learning rate the steps rows record. */
    private IUpdater lrSource;

    private int step;
    private boolean gradientSeen, ended;
    private long stepStart = System.nanoTime();

    /** @param rec where the rows go; {@code out} receives the run's outcome as steps end */
    public FitProbe(RunRecorder rec, RunOutcome out, TrainingMemory memory) {
        this.rec = rec;
        this.out = out;
        this.memory = memory;
    }

    /** Layers of the attached model (0 before DL4J first called the probe). */
    public int layerCount() {
        return layers == null ? 0 : layers.length;
    }

    /**
     * The model's layers as the rows number them: a MultiLayerNetwork's in its order, a ComputationGraph's layer vertices
     * in topological order (named by vertex); the last is the reference of δ. Its size is the run's n_layers.
     */
    public static List<GradientProbe.Owner> layersOf(Model m) {
        List<GradientProbe.Owner> owners = new ArrayList<>();
        if (m instanceof MultiLayerNetwork net) {
            Layer[] ls = net.getLayers();
            for (int i = 0; i < ls.length; i++) {
                String name = ls[i].conf().getLayer().getLayerName();
                owners.add(new GradientProbe.Owner(i, name != null ? name : "layer" + i, ls[i]));
            }
        } else if (m instanceof ComputationGraph g) {
            GraphVertex[] vs = g.getVertices();
            for (int idx : g.topologicalSortOrder())
                if (vs[idx].hasLayer())
                    owners.add(new GradientProbe.Owner(owners.size(), vs[idx].getVertexName(), vs[idx].getLayer()));
        } else
            throw new IllegalArgumentException("gradsweep's listener records a MultiLayerNetwork or a ComputationGraph,"
                    + " not a " + m.getClass().getName());
        return owners;
    }

    /** The layers its layers rows describe, in table order; null before the first call. */
    public LayerInfo[] layers() {
        return layers == null ? null : layers.clone();
    }

    /** The gradient segments its params rows describe; null before the first call. */
    public Segment[] segments() {
        return segments == null ? null : segments.clone();
    }

    /** Indexes the model's layers on the first call; one probe records one model. */
    private void attach(Model m) {
        if (model == m) return;
        if (model != null)
            throw new IllegalStateException("a gradsweep listener records one network; it was added to a second one");
        List<GradientProbe.Owner> owners = layersOf(m);
        params = m.params();
        List<GradientProbe.Owner> withParams = new ArrayList<>();
        for (GradientProbe.Owner o : owners) if (o.layer().numParams() > 0) withParams.add(o);
        segments = Arrays.stream(GradientProbe.segmentsOf(withParams, params))
                .filter(s -> s.gradient)
                .toArray(Segment[]::new);
        stats = new ParamStats[segments.length];
        for (int i = 0; i < stats.length; i++) stats[i] = new ParamStats();
        layers = new LayerInfo[owners.size()];
        for (GradientProbe.Owner o : owners)
            layers[o.index()] =
                    new LayerInfo(o.index(), o.name(), "dense", activationOf(o.layer()), deltaFrom(o.layer()));
        act = new ActStats[layers.length];
        if (segments.length > 0) {
            Segment first = segments[0];
            lrSource = owners.get(first.layer).layer().conf().getLayer().getUpdaterByParam(first.param);
        }
        out.nParams = m.numParams();
        out.nLayers = layers.length;
        model = m;
    }

    /** The params row that is this layer's δ ({@code b}, {@code beta}), or {@code none: } and why. */
    static String deltaFrom(Layer layer) {
        Map<String, INDArray> p = layer.paramTable();
        if (p.containsKey("b")) return "b";
        if (p.containsKey("beta")) return "beta";
        String type = layer.conf().getLayer().getClass().getSimpleName();
        return "none: " + type + (p.isEmpty() ? " has no parameters" : " has no bias (b) or beta parameter");
    }

    /** The grid's activation equal to the layer's (saturation and slope need it), or null: none or another one. */
    static Activation activationOf(Layer layer) {
        IActivation fn = layerActivation(layer.conf().getLayer());
        if (fn == null) return null;
        for (Activation a : Activation.values())
            if (NetworkFactory.activation(a).getActivationFunction().equals(fn)) return a;
        return null;
    }

    private static IActivation layerActivation(org.deeplearning4j.nn.conf.layers.Layer conf) {
        // DL4J's batch norm carries the builder's default activation (sigmoid) but does not apply it: its outputs
        // are not sigmoid outputs, and reading them as such counted "saturated" units (found by doctor --grid)
        if (conf instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization) return null;
        if (conf instanceof org.deeplearning4j.nn.conf.layers.BaseLayer b) return b.getActivationFn();
        if (conf instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer a) return a.getActivationFn();
        return null; // batch norm, pooling, …: their output is not an activation function's
    }

    @Override
    public void onEpochStart(Model m) {
        if (!gradientSeen) stepStart = System.nanoTime(); // not mid-step: the next step starts now
    }

    /** A MultiLayerNetwork's activations: the input, then every layer's output but the output layer's. */
    @Override
    public void onForwardPass(Model m, List<INDArray> activations) {
        if (ended) return;
        attach(m);
        try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            for (int i = 0; i < layers.length; i++)
                activations(i, i + 1 < activations.size() ? activations.get(i + 1) : null);
        }
    }

    /** A ComputationGraph's activations by vertex name (output layers are not among them). */
    @Override
    public void onForwardPass(Model m, Map<String, INDArray> activations) {
        if (ended) return;
        attach(m);
        try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            for (int i = 0; i < layers.length; i++) activations(i, activations.get(layers[i].name));
        }
    }

    /** Reduced while DL4J's array is live (it may sit in a workspace that the next layer reuses). */
    private void activations(int i, INDArray a) {
        act[i] = null;
        if (a == null || a.rank() < 2 || a.size(0) == 0) return;
        // [batch, …] → [batch, units]: conv and recurrent outputs count each channel × position as a unit
        INDArray rows = a.rank() == 2 ? a : a.reshape('c', a.size(0), a.length() / a.size(0));
        Activation fn = layers[i].fn;
        act[i] = new ActStats((int) rows.size(1), fn != null && fn.hasSaturation());
        memory.activations(rows, 1, fn, new ActStats[] {act[i]});
    }

    /** The raw gradient, before the updater: DL4J's is summed over the minibatch, 1/batch makes it the mean loss's. */
    @Override
    public void onGradientCalculation(Model m) {
        if (ended) return;
        attach(m);
        // a MultiLayerNetwork creates its gradient buffer on its first fit, after the forward pass has begun
        grad = m instanceof MultiLayerNetwork net
                ? net.getGradientsViewArray()
                : ((ComputationGraph) m).getGradientsViewArray();
        memory.gradient(grad, params, segments, 1.0 / m.batchSize(), stats);
        gradientSeen = true;
    }

    /** The updater has turned the gradient buffer into the update and the parameters have stepped: the step's rows. */
    @Override
    public void iterationDone(Model m, int iteration, int epoch) {
        if (ended || !gradientSeen) return;
        gradientSeen = false;
        memory.update(grad, segments, stats);
        memory.sync();
        double loss = m.score(), sq = 0, upd = 0;
        long nonfinite = 0;
        for (ParamStats s : stats) {
            sq += s.sumSq;
            upd += s.updateSumSq;
            nonfinite += s.nonfinite;
        }
        boolean finite = Double.isFinite(loss) && nonfinite == 0;
        if (!finite) for (ParamStats s : stats) s.noUpdate();
        double lr = lrSource != null && lrSource.hasLearningRate()
                ? lrSource.getLearningRate(iteration, epoch)
                : Double.NaN;
        long now = System.nanoTime();
        double ms = (now - stepStart) / 1e6;
        stepStart = now;
        rec.step(step, loss, Math.sqrt(sq), finite ? Math.sqrt(upd) : Double.NaN, lr, ms);
        for (int i = 0; i < segments.length; i++) rec.param(step, segments[i], stats[i]);
        for (int i = 0; i < layers.length; i++) rec.layer(step, layers[i], act[i], Double.NaN);
        Arrays.fill(act, null);
        out.endStep(loss, ms, finite);
        step++;
        ended = !finite;
    }
}
