/*
 * Issue #29's engine choice, measured: the bench ResNet (3 stages x 3 basic blocks, 16/32/64 channels, 3 x 16 x 16,
 * batch 32, batch norm post placement, 1x1 projections) built from DL4J M2.1's own layers (ConvolutionLayer,
 * BatchNormalization, ElementWiseVertex, GlobalPoolingLayer), trained with net.fit, SGD, float32: ms per step of this
 * thread's CPU time. Not part of the build; run from the repository after `mvn -B package -DskipTests`:
 *   OMP_NUM_THREADS=1 java -Xmx4g -cp "target/lib/*" bench/dl4j/ConvLayerStep.java resnet|plain ROUNDS
 *   (java -Dnobn=1 … leaves the batch norms out)
 * (docs/conv-engine.md has the numbers and PyTorch's step on the same net: bench/pytorch/conv_step.py).
 */
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.*;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.*;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

public class ConvLayerStep {
    static ComputationGraphConfiguration.GraphBuilder g;
    static String conv(String name, String in, int cin, int cout, int k, int s) {
        g.addLayer(name, new ConvolutionLayer.Builder(k, k).stride(s, s).padding(k / 2, k / 2).nIn(cin).nOut(cout)
                .hasBias(false).activation(Activation.IDENTITY).convolutionMode(ConvolutionMode.Truncate).build(), in);
        if (System.getProperty("nobn") != null) return name;
        g.addLayer(name + ".bn", new BatchNormalization.Builder().nOut(cout).build(), name);
        return name + ".bn";
    }
    static String relu(String name, String in) {
        g.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), in);
        return name;
    }
    public static void main(String[] a) {
        boolean skip = !a[0].equals("plain");
        int rounds = Integer.parseInt(a[1]), steps = 5;
        g = new NeuralNetConfiguration.Builder().seed(1).dataType(org.nd4j.linalg.api.buffer.DataType.FLOAT)
                .updater(new Sgd(1e-3)).weightInit(WeightInit.RELU)
                .trainingWorkspaceMode(WorkspaceMode.ENABLED).inferenceWorkspaceMode(WorkspaceMode.ENABLED)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(16, 16, 3));
        String x = relu("stem.r", conv("stem", "in", 3, 16, 3, 1));
        int cin = 16;
        int[] ch = {16, 32, 64};
        for (int st = 0; st < 3; st++) for (int b = 0; b < 3; b++) {
            int c = ch[st], s = st > 0 && b == 0 ? 2 : 1;
            String n = "s" + st + "b" + b;
            String h = relu(n + ".r1", conv(n + ".c1", x, cin, c, 3, s));
            h = conv(n + ".c2", h, c, c, 3, 1);
            if (skip) {
                String sc = s != 1 || cin != c ? conv(n + ".proj", x, cin, c, 1, s) : x;
                g.addVertex(n + ".add", new ElementWiseVertex(ElementWiseVertex.Op.Add), h, sc);
                h = n + ".add";
            }
            x = relu(n + ".r2", h);
            cin = c;
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(64).nOut(10)
                .activation(Activation.SOFTMAX).build(), "pool");
        g.setOutputs("out");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        System.out.println("params " + net.numParams() + " helpers " + Nd4j.getEnvironment().helpersAllowed());
        var bean = ManagementFactory.getThreadMXBean();
        INDArray y = Nd4j.zeros(32, 10);
        for (int i = 0; i < 32; i++) y.putScalar(i, i % 10, 1);
        for (int i = 0; i < 10; i++) net.fit(new DataSet(Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 32, 3, 16, 16), y));
        double[] cpu = new double[rounds], wall = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long c0 = bean.getCurrentThreadCpuTime(), w0 = System.nanoTime();
            for (int i = 0; i < steps; i++) net.fit(new DataSet(Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 32, 3, 16, 16), y));
            cpu[r] = (bean.getCurrentThreadCpuTime() - c0) / 1e6 / steps;
            wall[r] = (System.nanoTime() - w0) / 1e6 / steps;
        }
        Arrays.sort(cpu); Arrays.sort(wall);
        System.out.printf("%s thread CPU median %.2f ms (q %.2f … %.2f), wall %.2f ms%n", skip ? "resnet" : "plain",
                cpu[rounds / 2], cpu[rounds / 4], cpu[3 * rounds / 4], wall[rounds / 2]);
    }
}
