package dev.gradsweep.train.update;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * One optimizer step over the network's whole flat gradient buffer. DL4J's own updater does the same arithmetic
 * but walks every parameter array with views (its regularization pass alone was a large share of a small net's step
 * in the profiles of docs/performance.md, with no regularization configured); when every parameter shares one optimizer and nothing else is
 * configured, a single {@link GradientUpdater} over the flat buffer is the same computation in two ops.
 */
public final class FlatUpdater {
    private final GradientUpdater updater;

    private FlatUpdater(GradientUpdater updater) {
        this.updater = updater;
    }

    /** A flat updater for these layers, or null when they need DL4J's per-array updater. */
    public static FlatUpdater forLayers(Layer[] layers, long numParams, INDArray like) {
        IUpdater shared = null;
        for (Layer l : layers) {
            TrainingConfig c = l.getConfig();
            if (c.getGradientNormalization() != null && c.getGradientNormalization() != GradientNormalization.None)
                return null;
            for (String p : l.paramTable().keySet()) {
                IUpdater u = c.getUpdaterByParam(p);
                if (u == null || (shared != null && !shared.equals(u))) return null;
                if (c.getRegularizationByParam(p) != null
                        && !c.getRegularizationByParam(p).isEmpty()) return null;
                if (l.numParams() > 0 && c.isPretrainParam(p)) return null;
                shared = u;
            }
        }
        if (shared == null) return null;
        long state = shared.stateSize(numParams);
        INDArray view = state == 0 ? null : Nd4j.create(like.dataType(), 1, state);
        return new FlatUpdater(shared.instantiate(view, true));
    }

    /**
     * The run's optimizer (with its warmup) over a flat buffer shaped like {@code params}, its state allocated here:
     * the explicit engines' updater (recurrent, transformer), which apply it to their mean-loss gradient.
     */
    public static GradientUpdater over(TrainSpec train, INDArray params) {
        IUpdater cfg = NetworkFactory.updater(train);
        long state = cfg.stateSize(params.length());
        return cfg.instantiate(state == 0 ? null : Nd4j.create(params.dataType(), 1, state), true);
    }

    /** Turns DL4J's batch-summed gradient into the update, in place (divide by the batch, then the optimizer). */
    public void apply(INDArray flatGrad, int batch, int iteration) {
        flatGrad.divi(batch);
        updater.applyUpdater(flatGrad, iteration, 0);
    }
}
