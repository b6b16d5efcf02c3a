package dev.gradsweep.model;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.distribution.OrthogonalDistribution;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.IWeightInit;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitConstant;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Builds the DL4J network of a run. Plain MLP convention: {@code depth} hidden dense layers of {@code width} units
 * with the run's activation (layers 0 … depth-1, 0 nearest the input), then one linear output layer (layer depth):
 * identity + MSE for regression, softmax + cross-entropy for classification. Biases start at 0.
 */
public final class NetworkFactory {
    private NetworkFactory() {
    }

    public static MultiLayerNetwork build(RunConfig rc) {
        return build(rc.depth, rc.width, rc.activation, rc.init, rc.task.inputs, rc.task.outputs, rc.task.objective,
                rc.train, rc.seed);
    }

    public static MultiLayerNetwork build(int depth, int width, Activation act, Init init, int nIn, int nOut,
                                          TaskSpec.Objective objective, TrainSpec train, long seed) {
        NeuralNetConfiguration.ListBuilder lb = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(dataType(train.dtype))
                .updater(updater(train))
                .weightInit(weightInit(init))
                .biasInit(0.0)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .list();
        int in = nIn;
        for (int l = 0; l < depth; l++) {
            lb.layer(new DenseLayer.Builder().name("dense" + l).nIn(in).nOut(width).activation(activation(act)).build());
            in = width;
        }
        boolean cls = objective == TaskSpec.Objective.CLASSIFICATION;
        lb.layer(new OutputLayer.Builder(cls ? LossFunctions.LossFunction.MCXENT : LossFunctions.LossFunction.MSE)
                .name("output").nIn(in).nOut(nOut)
                .activation(cls ? org.nd4j.linalg.activations.Activation.SOFTMAX : org.nd4j.linalg.activations.Activation.IDENTITY)
                .build());
        MultiLayerNetwork net = new MultiLayerNetwork(lb.build());
        net.init();
        net.initGradientsView(); // the flat gradient buffer must exist before the first step: the probe reads it
        return net;
    }

    public static DataType dataType(TrainSpec.DType d) {
        return d == TrainSpec.DType.FLOAT64 ? DataType.DOUBLE : DataType.FLOAT;
    }

    static IUpdater updater(TrainSpec t) {
        switch (t.optimizer) {
            case MOMENTUM: return new Nesterovs(t.lr, 0.9);
            case ADAM: return new Adam(t.lr);
            default: return new Sgd(t.lr);
        }
    }

    public static IWeightInit weightInit(Init init) {
        switch (init.kind) {
            case XAVIER: return WeightInit.XAVIER.getWeightInitFunction();
            case XAVIER_UNIFORM: return WeightInit.XAVIER_UNIFORM.getWeightInitFunction();
            case HE: return WeightInit.RELU.getWeightInitFunction();
            case HE_UNIFORM: return WeightInit.RELU_UNIFORM.getWeightInitFunction();
            case LECUN: return WeightInit.LECUN_NORMAL.getWeightInitFunction();
            case STANDARD: return WeightInit.UNIFORM.getWeightInitFunction(); // U[±1/sqrt(fan_in)]
            case ORTHOGONAL: return new WeightInitDistribution(new OrthogonalDistribution(1.0));
            case NORMAL: return new ScaledNormalInit(init.value);
            case CONSTANT: return new WeightInitConstant(init.value);
            default: throw new IllegalArgumentException("initializer " + init);
        }
    }

    public static org.nd4j.linalg.activations.Activation activation(Activation a) {
        switch (a) {
            case SIGMOID: return org.nd4j.linalg.activations.Activation.SIGMOID;
            case TANH: return org.nd4j.linalg.activations.Activation.TANH;
            case RELU: return org.nd4j.linalg.activations.Activation.RELU;
            case LEAKYRELU: return org.nd4j.linalg.activations.Activation.LEAKYRELU;
            case ELU: return org.nd4j.linalg.activations.Activation.ELU;
            case SELU: return org.nd4j.linalg.activations.Activation.SELU;
            case GELU: return org.nd4j.linalg.activations.Activation.GELU;
            case SWISH: return org.nd4j.linalg.activations.Activation.SWISH;
            case MISH: return org.nd4j.linalg.activations.Activation.MISH;
            case SOFTSIGN: return org.nd4j.linalg.activations.Activation.SOFTSIGN;
            case SOFTPLUS: return org.nd4j.linalg.activations.Activation.SOFTPLUS;
            case HARDSIGMOID: return org.nd4j.linalg.activations.Activation.HARDSIGMOID;
            case HARDTANH: return org.nd4j.linalg.activations.Activation.HARDTANH;
            case RELU6: return org.nd4j.linalg.activations.Activation.RELU6;
            case IDENTITY: return org.nd4j.linalg.activations.Activation.IDENTITY;
            default: throw new IllegalArgumentException("activation " + a);
        }
    }
}
