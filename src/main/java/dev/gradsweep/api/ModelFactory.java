package dev.gradsweep.api;

import org.deeplearning4j.nn.api.Model;

/**
 * Builds a user's own network for each run of a sweep whose grid names this class ({@code model: {class: …}};
 * docs/api.md). gradsweep calls {@link #build} on the driver once per configuration before anything trains (so a
 * build that throws or a network that does not fit the task is an error before the sweep starts), then on the
 * executor for each run, and trains what it returns with the task's minibatches, recording its statistics.
 *
 * <p>Implementations need a public no-argument constructor. {@code build} must return a {@code MultiLayerNetwork}
 * or a {@code ComputationGraph} with one input and one output, initialised or not; it should use
 * {@link ModelRequest#seed()} for its weights and {@link ModelRequest#updater()} when the grid sweeps the optimizer
 * or the learning rate (gradsweep checks that it did). It must not train, attach listeners or read files that the
 * executors cannot see.
 */
public interface ModelFactory {
    Model build(ModelRequest run) throws Exception;
}
