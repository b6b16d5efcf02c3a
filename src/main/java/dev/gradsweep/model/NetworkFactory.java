package dev.gradsweep.model;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.distribution.OrthogonalDistribution;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Builds the DL4J network of a run, always as a ComputationGraph (one code path for training and statistics).
 * <ul>
 * <li>skip = none: {@code depth} hidden layers {@code dense<l>} (width units, the run's activation), l = 0 … depth−1.
 *   With a norm, layer l is dense (no bias: the norm's beta replaces it) → {@code dense<l>.bn|ln} → activation.</li>
 * <li>skip ≠ none: a linear input projection {@code stem} (layer −1), then {@code depth} blocks {@code block<l>}:
 *   residual y = x + F(x), rezero y = x + α·F(x), with F = fc2(f(fc1(·))), both width → width;
 *   highway y = x + T(x)·(H(x) − x) = H·T + x·(1 − T) with H = {@code fc1} (activation f) and T = {@code gate}
 *   (sigmoid, bias train.highway_gate_bias). A norm sits at the block input of F (and T) with placement pre,
 *   or after the sum with post; pre adds a final norm before the output layer (as pre-LN Transformers do).</li>
 * <li>The output layer (linear, identity + MSE or softmax + cross-entropy) is layer {@code depth}.</li>
 * </ul>
 */
public final class NetworkFactory {
    private NetworkFactory() {}

    public static Net build(RunConfig rc) {
        int nIn = rc.task.inputs, nOut = rc.task.outputs;
        TrainSpec train = rc.train;
        Activation act = rc.activation;
        int width = rc.width;
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(rc.seed)
                .dataType(dataType(train.dtype))
                .updater(updater(train))
                .weightInit(weightInit(rc.init))
                .biasInit(0.0)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED)
                .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.feedForward(nIn));
        Map<String, Integer> layerOf = new LinkedHashMap<>();
        List<Net.Recorded> rec = new ArrayList<>();
        Norm norm = rc.norm;
        boolean pre = rc.placement == Placement.PRE;
        String prev;
        int in;
        if (rc.skip == Skip.NONE) {
            prev = "input";
            in = nIn;
            for (int l = 0; l < rc.depth; l++) {
                String name = "dense" + l;
                if (norm == Norm.NONE) {
                    add(g, layerOf, l, name, dense(in, width, act, true), prev);
                    prev = name;
                } else {
                    // the norm's beta replaces the bias; RMSNorm has none, so the dense layer keeps its own
                    add(g, layerOf, l, name, dense(in, width, Activation.IDENTITY, norm == Norm.RMS), prev);
                    String nn = name + suffix(norm);
                    add(g, layerOf, l, nn, norm(norm, width), name);
                    prev = name + ".act";
                    add(
                            g,
                            layerOf,
                            l,
                            prev,
                            new ActivationLayer.Builder()
                                    .activation(activation(act))
                                    .build(),
                            nn);
                }
                rec.add(new Net.Recorded(prev, l, name, "dense", act));
                in = width;
            }
        } else {
            add(g, layerOf, -1, "stem", dense(nIn, width, Activation.IDENTITY, true), "input");
            prev = "stem";
            in = width;
            for (int l = 0; l < rc.depth; l++) {
                String b = "block" + l, x = prev, u = x, out;
                if (norm != Norm.NONE && pre) add(g, layerOf, l, u = b + suffix(norm), norm(norm, width), x);
                add(g, layerOf, l, b + ".fc1", dense(width, width, act, true), u);
                rec.add(new Net.Recorded(b + ".fc1", l, b + ".fc1", "dense", act));
                if (rc.skip == Skip.HIGHWAY) {
                    DenseLayer gate = new DenseLayer.Builder()
                            .nIn(width)
                            .nOut(width)
                            .activation(org.nd4j.linalg.activations.Activation.SIGMOID)
                            .biasInit(train.highwayGateBias)
                            .build();
                    add(g, layerOf, l, b + ".gate", gate, u);
                    rec.add(new Net.Recorded(b + ".gate", l, b + ".gate", "gate", Activation.SIGMOID));
                    g.addVertex(b + ".diff", new ElementWiseVertex(ElementWiseVertex.Op.Subtract), b + ".fc1", x);
                    g.addVertex(
                            b + ".carry",
                            new ElementWiseVertex(ElementWiseVertex.Op.Product),
                            b + ".gate",
                            b + ".diff");
                    g.addVertex(out = b + ".add", new ElementWiseVertex(ElementWiseVertex.Op.Add), x, b + ".carry");
                } else {
                    String f = b + ".fc2";
                    add(g, layerOf, l, f, dense(width, width, Activation.IDENTITY, true), b + ".fc1");
                    if (rc.skip == Skip.REZERO)
                        add(g, layerOf, l, f = b + ".rezero", new ScalarGain(width), b + ".fc2");
                    g.addVertex(out = b + ".add", new ElementWiseVertex(ElementWiseVertex.Op.Add), x, f);
                }
                if (norm != Norm.NONE && !pre)
                    add(g, layerOf, l, out = b + suffix(norm), norm(norm, width), b + ".add");
                g.addVertex(b, new GradTap(), out);
                rec.add(new Net.Recorded(b, l, b, "block", null));
                prev = b;
            }
            if (norm != Norm.NONE && pre) {
                add(g, layerOf, rc.depth, "final" + suffix(norm), norm(norm, width), prev);
                prev = "final" + suffix(norm);
            }
        }
        boolean cls = rc.task.objective == TaskSpec.Objective.CLASSIFICATION;
        add(
                g,
                layerOf,
                rc.depth,
                "output",
                new OutputLayer.Builder(cls ? LossFunctions.LossFunction.MCXENT : LossFunctions.LossFunction.MSE)
                        .nIn(in)
                        .nOut(nOut)
                        .activation(
                                cls
                                        ? org.nd4j.linalg.activations.Activation.SOFTMAX
                                        : org.nd4j.linalg.activations.Activation.IDENTITY)
                        .build(),
                prev);
        g.setOutputs("output");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        net.initGradientsView(); // the flat gradient buffer must exist before the first step: the probe reads it
        return new Net(net, layerOf, List.copyOf(rec));
    }

    private static void add(
            ComputationGraphConfiguration.GraphBuilder g,
            Map<String, Integer> layerOf,
            int layer,
            String name,
            Layer l,
            String input) {
        g.addLayer(name, l, input);
        layerOf.put(name, layer);
    }

    private static DenseLayer dense(int in, int out, Activation act, boolean bias) {
        return new DenseLayer.Builder()
                .nIn(in)
                .nOut(out)
                .activation(activation(act))
                .hasBias(bias)
                .build();
    }

    /** The name suffix of a norm layer: {@code .bn}, {@code .ln} or {@code .rms}. */
    public static String suffix(Norm norm) {
        return norm == Norm.BATCH ? ".bn" : norm == Norm.RMS ? ".rms" : ".ln";
    }

    private static Layer norm(Norm kind, int width) {
        if (kind == Norm.BATCH)
            return new BatchNormalization.Builder()
                    .nIn(width)
                    .nOut(width)
                    .activation(org.nd4j.linalg.activations.Activation.IDENTITY)
                    .build();
        return kind == Norm.RMS ? new RmsNorm(width) : new LayerNorm(width);
    }

    public static DataType dataType(TrainSpec.DType d) {
        return d == TrainSpec.DType.FLOAT64 ? DataType.DOUBLE : DataType.FLOAT;
    }

    /** The optimizer of a run, with its warmup schedule (the recurrent engine uses the same). */
    public static IUpdater updater(TrainSpec t) {
        ISchedule lr = new WarmupSchedule(t.lr, t.warmup);
        switch (t.optimizer) {
            case MOMENTUM:
                return new Nesterovs(lr, 0.9);
            case ADAM:
                return new Adam(lr);
            default:
                return new Sgd(lr);
        }
    }

    public static IWeightInit weightInit(Init init) {
        switch (init.kind) {
            case XAVIER:
                return WeightInit.XAVIER.getWeightInitFunction();
            case XAVIER_UNIFORM:
                return WeightInit.XAVIER_UNIFORM.getWeightInitFunction();
            case HE:
                return WeightInit.RELU.getWeightInitFunction();
            case HE_UNIFORM:
                return WeightInit.RELU_UNIFORM.getWeightInitFunction();
            case LECUN:
                return WeightInit.LECUN_NORMAL.getWeightInitFunction();
            case STANDARD:
                return WeightInit.UNIFORM.getWeightInitFunction(); // U[±1/sqrt(fan_in)]
            case ORTHOGONAL:
                return new WeightInitDistribution(new OrthogonalDistribution(1.0));
            case NORMAL:
                return new ScaledNormalInit(init.value);
            case CONSTANT:
                return new WeightInitConstant(init.value);
            default:
                throw new IllegalArgumentException("initializer " + init);
        }
    }

    public static org.nd4j.linalg.activations.Activation activation(Activation a) {
        switch (a) {
            case SIGMOID:
                return org.nd4j.linalg.activations.Activation.SIGMOID;
            case TANH:
                return org.nd4j.linalg.activations.Activation.TANH;
            case RELU:
                return org.nd4j.linalg.activations.Activation.RELU;
            case LEAKYRELU:
                return org.nd4j.linalg.activations.Activation.LEAKYRELU;
            case ELU:
                return org.nd4j.linalg.activations.Activation.ELU;
            case SELU:
                return org.nd4j.linalg.activations.Activation.SELU;
            case GELU:
                return org.nd4j.linalg.activations.Activation.GELU;
            case SWISH:
                return org.nd4j.linalg.activations.Activation.SWISH;
            case MISH:
                return org.nd4j.linalg.activations.Activation.MISH;
            case SOFTSIGN:
                return org.nd4j.linalg.activations.Activation.SOFTSIGN;
            case SOFTPLUS:
                return org.nd4j.linalg.activations.Activation.SOFTPLUS;
            case HARDSIGMOID:
                return org.nd4j.linalg.activations.Activation.HARDSIGMOID;
            case HARDTANH:
                return org.nd4j.linalg.activations.Activation.HARDTANH;
            case RELU6:
                return org.nd4j.linalg.activations.Activation.RELU6;
            case IDENTITY:
                return org.nd4j.linalg.activations.Activation.IDENTITY;
            default:
                throw new IllegalArgumentException("activation " + a);
        }
    }
}
