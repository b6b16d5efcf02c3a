package dev.gradsweep.api;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Model factories for the tests: one that does what docs/api.md asks, and one per mistake a user can make. */
public final class TestFactories {
    private TestFactories() {}

    /** A dense net: inputs → custom "hidden" units (default 8) → outputs, softmax; as docs/api.md shows. */
    public static class Good implements ModelFactory {
        @Override
        public Model build(ModelRequest run) {
            return net(run, run.inputs(), run.outputs(), run.updater(), run.dataType());
        }
    }

    static MultiLayerNetwork net(
            ModelRequest run, int in, int out, IUpdater u, org.nd4j.linalg.api.buffer.DataType dt) {
        int hidden = run.custom().containsKey("hidden") ? run.customInt("hidden") : 8;
        var conf = new NeuralNetConfiguration.Builder()
                .seed(run.seed())
                .dataType(dt)
                .updater(u)
                .list()
                .layer(new DenseLayer.Builder()
                        .nIn(in)
                        .nOut(hidden)
                        .activation(Activation.TANH)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(hidden)
                        .nOut(out)
                        .activation(Activation.SOFTMAX)
                        .build())
                .build();
        return new MultiLayerNetwork(conf); // not initialised: gradsweep calls init()
    }

    /** A ComputationGraph with batch norm and a dense layer without a bias: the layer kinds the listener reads. */
    public static class Graph implements ModelFactory {
        @Override
        public Model build(ModelRequest run) {
            var conf = new NeuralNetConfiguration.Builder()
                    .seed(run.seed())
                    .dataType(run.dataType())
                    .updater(run.updater())
                    .graphBuilder()
                    .addInputs("in")
                    .addLayer(
                            "fc",
                            new DenseLayer.Builder()
                                    .nIn(run.inputs())
                                    .nOut(6)
                                    .hasBias(false)
                                    .activation(Activation.IDENTITY)
                                    .build(),
                            "in")
                    .addLayer(
                            "bn",
                            new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder()
                                    .nOut(6)
                                    .build(),
                            "fc")
                    .addLayer(
                            "act",
                            new org.deeplearning4j.nn.conf.layers.ActivationLayer.Builder()
                                    .activation(Activation.RELU)
                                    .build(),
                            "bn")
                    .addLayer(
                            "out",
                            new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                    .nIn(6)
                                    .nOut(run.outputs())
                                    .activation(Activation.SOFTMAX)
                                    .build(),
                            "act")
                    .setOutputs("out")
                    .build();
            return new org.deeplearning4j.nn.graph.ComputationGraph(conf);
        }
    }

    public static class WrongOutputs implements ModelFactory {
        @Override
        public Model build(ModelRequest run) {
            return net(run, run.inputs(), run.outputs() + 1, run.updater(), run.dataType());
        }
    }

    public static class WrongInputs implements ModelFactory {
        @Override
        public Model build(ModelRequest run) {
            return net(run, run.inputs() + 3, run.outputs(), run.updater(), run.dataType());
        }
    }

    public static class OwnUpdater implements ModelFactory {
        @Override
        public Model build(ModelRequest run) {
            return net(run, run.inputs(), run.outputs(), new Sgd(0.5), run.dataType());
        }
    }

    public static class Throws implements ModelFactory {
        @Override
        public Model build(ModelRequest run) {
            throw new IllegalStateException("no net for " + run.custom());
        }
    }

    public static class NoDefaultConstructor implements ModelFactory {
        public NoDefaultConstructor(int unused) {}

        @Override
        public Model build(ModelRequest run) {
            return null;
        }
    }
}
