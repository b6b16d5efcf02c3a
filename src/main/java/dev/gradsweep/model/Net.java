package dev.gradsweep.model;

import dev.gradsweep.grid.Activation;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A built network and how its vertices map onto the tables: which {@code layer} index each parameterised vertex
 * reports under, and which vertex outputs become {@code layers} rows.
 *
 * @param layerOf vertex name → layer index (0 nearest the input; the stem of a block net is −1, the output layer depth)
 * @param recorded vertex outputs measured every step, in table order
 */
public record Net(ComputationGraph graph, Map<String, Integer> layerOf, List<Recorded> recorded) {
    /**
     * One measured vertex output. {@code name} is the layer_name of its row; {@code fn} the function that produced
     * it (null for block outputs: no saturation, no slope).
     */
    public record Recorded(String vertex, int layer, String name, String kind, Activation fn) {}
}
