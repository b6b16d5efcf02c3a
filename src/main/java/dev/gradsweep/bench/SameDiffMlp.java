package dev.gradsweep.bench;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.model.NetworkFactory;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A plain MLP run (regression, SGD) written as an ND4J SameDiff graph, for {@code bench}: does SameDiff's graph
 * executor beat DL4J's per-step fixed costs? Parameters start as the run's DL4J network does (copied from it) and
 * the loss is DL4J's MSE score (mean over batch and outputs), so a step is the same computation as the DL4J loop's.
 * A step is one {@code calculateGradientsAndOutputs} (loss and gradients in one execution) and an in-place axpy per
 * parameter. {@code sd.fit} with an Sgd {@code TrainingConfig} was measured too and dropped: the same parameters, but
 * slower on both bench nets, and in M2.1 it never runs the forward loss op here (the mean's backward op does
 * not need its output), so it reports a loss of 0.
 */
public final class SameDiffMlp {
    private final SameDiff sd = SameDiff.create();
    private final double lr;
    private final Batches batches;
    private final Map<String, INDArray> feed;
    private final List<String> params = new ArrayList<>(), gradientsWanted = new ArrayList<>();
    private final List<String> activations = new ArrayList<>();
    private OutAndGrad last;

    /** The runs this engine builds: plain MLPs (no norm, no skip, no cell), regression only (the bench nets). */
    public static boolean supports(RunConfig rc) {
        return rc.cell == Cell.NONE
                && rc.norm == Norm.NONE
                && rc.skip == Skip.NONE
                && rc.task.objective == TaskSpec.Objective.REGRESSION;
    }

    /**
     * @param activationGradients also return ∂L/∂a of every hidden layer each step ({@link #activationGradient})
     */
    public SameDiffMlp(RunConfig rc, TaskData data, boolean activationGradients) {
        if (!supports(rc)) throw new IllegalArgumentException("SameDiff bench engine: unsupported run " + rc.runId);
        this.lr = rc.train.lr;
        DataType dt = NetworkFactory.dataType(rc.train.dtype);
        batches = new Batches(data, rc.train.batch, dt, rc.seed);
        ComputationGraph dl4j = NetworkFactory.build(rc).graph();
        SDVariable x = sd.placeHolder("x", dt, -1, data.inputs), y = sd.placeHolder("y", dt, -1, data.outputs), a = x;
        for (int l = 0; l <= rc.depth; l++) {
            String name = l == rc.depth ? "output" : "dense" + l;
            org.deeplearning4j.nn.api.Layer layer = dl4j.getLayer(name);
            // DL4J keeps W as an 'f'-order view of its flat buffer and b as [1, nOut]; xw_plus_b takes b rank 1
            SDVariable w = sd.var(name + "_W", layer.getParam("W").dup('c'));
            SDVariable b = sd.var(
                    name + "_b",
                    layer.getParam("b").dup().reshape(layer.getParam("b").length()));
            params.add(w.name());
            params.add(b.name());
            SDVariable z = sd.nn().linear(l == rc.depth ? "out" : "z" + l, a, w, b);
            if (l < rc.depth) {
                a = activate("a" + l, z, rc.activation);
                activations.add(a.name());
            } else a = z;
        }
        sd.math().square(a.sub(y)).mean("loss").markAsLoss();
        // M2.1's createGradFunction prints a line per op to System.out, which would corrupt bench's csv output
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(stdout);
        }
        gradientsWanted.addAll(params);
        if (activationGradients) gradientsWanted.addAll(activations);
        feed = Map.of("x", batches.features, "y", batches.labels);
    }

    private SDVariable activate(String name, SDVariable z, Activation act) {
        switch (act) {
            case SIGMOID:
                return sd.nn().sigmoid(name, z);
            case TANH:
                return sd.nn().tanh(name, z);
            case RELU:
                return sd.nn().relu(name, z, 0);
            default:
                return sd.identity(name, z);
        }
    }

    /** One SGD step on the next minibatch; returns the loss before the update. */
    public double step() {
        batches.next();
        last = sd.calculateGradientsAndOutputs(feed, List.of("loss"), gradientsWanted);
        Map<String, INDArray> g = last.getGradients();
        for (String p : params)
            Nd4j.getBlasWrapper().level1().axpy(g.get(p).length(), -lr, g.get(p), sd.getArrForVarName(p));
        return last.getOutputs().get("loss").getDouble(0);
    }

    /** The current value of parameter {@code W} or {@code b} of layer {@code dense<l>} / {@code output}. */
    public INDArray param(String layer, String param) {
        return sd.getArrForVarName(layer + "_" + param);
    }

    /** ∂L/∂a of hidden layer l at the last step (built with activationGradients only). */
    public INDArray activationGradient(int l) {
        return last.getGradients().get(activations.get(l));
    }
}
