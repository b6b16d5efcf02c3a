package com.example;

import dev.gradsweep.api.ModelFactory;
import dev.gradsweep.api.ModelRequest;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A user's own network: conv → max-pool → conv → global average pool → softmax, with plain DL4J builders. gradsweep
 * sweeps it through {@link ModelFactory} (grids/small_cnn.yaml); {@link TrainOnce} trains it in a plain main.
 */
public final class SmallCnn implements ModelFactory {
    @Override
    public MultiLayerNetwork build(ModelRequest run) {
        int[] chw = run.imageShape()
                .orElseThrow(() -> new IllegalArgumentException(
                        "SmallCnn needs an image task (bars, teacher_cnn, or a table with task.shape)"));
        return network(
                chw,
                run.outputs(),
                run.customInt("filters"),
                run.customInt("kernel"),
                run.seed(),
                run.updater(), // the run's optimizer and lr: gradsweep records them, and checks that they are used
                run.dataType());
    }

    /** The network itself, for the factory and for a plain main alike. */
    public static MultiLayerNetwork network(
            int[] chw, int classes, int filters, int kernel, long seed, IUpdater updater, DataType dataType) {
        var conf = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType)
                .updater(updater)
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .list()
                .layer(new ConvolutionLayer.Builder(kernel, kernel)
                        .nOut(filters)
                        .activation(Activation.RELU)
                        .build())
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(kernel, kernel)
                        .nOut(2 * filters)
                        .activation(Activation.RELU)
                        .build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(classes)
                        .activation(Activation.SOFTMAX)
                        .build())
                // rows of channels × height × width, row-major: what gradsweep's image tasks hold
                .setInputType(InputType.convolutionalFlat(chw[1], chw[2], chw[0]))
                .build();
        return new MultiLayerNetwork(conf);
    }
}
