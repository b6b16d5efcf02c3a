package dev.gradsweep.api;

import dev.gradsweep.config.BadInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The runs table records each run's optimizer and learning rate, so a factory's network must train with them: every
 * trained layer's updater must be {@link ModelRequest#updater()}'s kind with its learning rate (and momentum).
 */
final class Updaters {
    private Updaters() {}

    static void require(Model m, ModelRequest req, String at) {
        IUpdater want = req.updater();
        for (Layer l : layers(m)) {
            if (!(l instanceof BaseLayer b)) continue;
            IUpdater u = b.getIUpdater();
            if (u == null || u instanceof NoOp) continue; // not trained (e.g. frozen)
            boolean same = u.getClass() == want.getClass()
                    && u.getLearningRate(0, 0) == want.getLearningRate(0, 0)
                    && (!(u instanceof Nesterovs n) || n.getMomentum() == ((Nesterovs) want).getMomentum());
            if (!same)
                throw new BadInputException(at + "layer '" + l.getLayerName() + "' trains with " + u
                        + ", the run's optimizer is " + want.getClass().getSimpleName() + " at lr "
                        + want.getLearningRate(0, 0) + " (axes.optimizer / axes.lr or train.*): build with"
                        + " .updater(run.updater())");
        }
    }

    private static List<Layer> layers(Model m) {
        List<Layer> out = new ArrayList<>();
        if (m instanceof MultiLayerNetwork n)
            for (NeuralNetConfiguration c : n.getLayerWiseConfigurations().getConfs()) out.add(c.getLayer());
        else
            for (Map.Entry<String, GraphVertex> e :
                    ((ComputationGraph) m).getConfiguration().getVertices().entrySet())
                if (e.getValue() instanceof LayerVertex v)
                    out.add(v.getLayerConf().getLayer());
        return out;
    }
}
