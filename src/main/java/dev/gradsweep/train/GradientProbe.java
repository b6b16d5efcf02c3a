package dev.gradsweep.train;

import dev.gradsweep.grid.Activation;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Computes the DESIGN §3 statistics of one network every step. The parameter statistics are segment reductions
 * over the network's single flat gradient / parameter buffers, read from host memory in one pass (no ND4J op per
 * parameter); the activation statistics are taken in DL4J's forward-pass callback, while the activations are live.
 */
public final class GradientProbe extends BaseTrainingListener {
    private final Segment[] segments;
    private final ParamStats[] stats;
    private final LayerInfo[] layers;
    private final ActStats[] act;
    private final Activation activation;
    private final HostArray grad, params;
    private boolean actsSeen;

    public GradientProbe(MultiLayerNetwork net, Activation activation) {
        this.activation = activation;
        this.segments = segmentsOf(net);
        this.stats = new ParamStats[segments.length];
        for (int i = 0; i < stats.length; i++) stats[i] = new ParamStats();
        // Hidden layers only: DL4J's forward-pass callback hands over every activation but the output layer's.
        Layer[] ls = net.getLayers();
        this.layers = new LayerInfo[ls.length - 1];
        this.act = new ActStats[layers.length];
        for (int l = 0; l < layers.length; l++) {
            int units = (int) ls[l].getParam("W").size(1);
            layers[l] = new LayerInfo(l, ls[l].conf().getLayer().getLayerName(), "dense", units);
        }
        this.grad = HostArray.of(net.getFlattenedGradients());
        this.params = HostArray.of(net.params());
    }

    /** The parameter arrays in flat-buffer order (paramTable order, which is how DL4J lays out the flat views). */
    static Segment[] segmentsOf(MultiLayerNetwork net) {
        List<Segment> out = new ArrayList<>();
        int offset = 0;
        Layer[] ls = net.getLayers();
        for (int l = 0; l < ls.length; l++) {
            String name = ls[l].conf().getLayer().getLayerName();
            for (Map.Entry<String, INDArray> e : ls[l].paramTable().entrySet()) {
                int n = (int) e.getValue().length();
                out.add(new Segment(l, name, e.getKey(), offset, n));
                offset += n;
            }
        }
        if (offset != net.numParams()) throw new IllegalStateException("segments cover " + offset + " of " + net.numParams() + " params");
        return out.toArray(new Segment[0]);
    }

    public Segment[] segments() {
        return segments;
    }

    /**
     * Reduces the raw gradient (before the updater) and the parameters it was computed at. DL4J's gradient is the
     * sum over the minibatch; {@code scale} = 1/batch turns it into the gradient of the reported (mean) loss.
     *
     * @return the global L2 norm of the scaled gradient (NaN/Inf if any element is non-finite)
     */
    public double onGradient(double scale) {
        double total = 0;
        for (int i = 0; i < segments.length; i++) {
            ParamStats s = stats[i];
            s.reset();
            s.addGradient(grad, params, segments[i].offset, segments[i].offset + segments[i].length);
            // Scaling after the sums keeps one multiply out of the inner loop.
            s.sumSq *= scale * scale;
            s.sumAbs *= scale;
            s.sum *= scale;
            s.maxAbs *= scale;
            total += s.sumSq;
        }
        return Math.sqrt(total);
    }

    public long nonfinite() {
        long n = 0;
        for (ParamStats s : stats) n += s.nonfinite;
        return n;
    }

    /** Reduces the update actually applied (the flat gradient buffer holds it after the updater ran). */
    public double onUpdate() {
        double total = 0;
        for (int i = 0; i < segments.length; i++) {
            stats[i].addUpdate(grad, segments[i].offset, segments[i].offset + segments[i].length);
            total += stats[i].updateSumSq;
        }
        return Math.sqrt(total);
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        // activations.get(0) is the input; get(l + 1) is hidden layer l's output.
        for (int l = 0; l < layers.length; l++) {
            INDArray a = activations.get(l + 1);
            ActStats s = new ActStats(layers[l].units, activation.hasSaturation());
            s.add(HostArray.of(a), 0, (int) a.size(0), activation);
            act[l] = s;
        }
        actsSeen = true;
    }

    /** Sends this step's parameter and layer rows to {@code rec}. */
    public void emit(int step, RunRecorder rec) {
        for (int i = 0; i < segments.length; i++) rec.param(step, segments[i], stats[i]);
        if (actsSeen) for (int l = 0; l < layers.length; l++) rec.layer(step, layers[l], act[l]);
        actsSeen = false;
    }
}
