package dev.gradsweep.conv;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The run's activation on [rows, C] arrays with its own output and gradient buffers: ReLU through the seam's host
 * pass, the others DL4J's implementation forward; backward through the seam's host passes where it has them (ReLU;
 * sigmoid and tanh from the output), else DL4J's.
 */
final class Act {
    private final Activation act;
    private final IActivation fn;
    private final TrainingMemory memory;
    private final INDArray a, dz;
    private INDArray z;

    Act(Activation act, long rows, long cols, DataType dt, TrainingMemory memory) {
        this.act = act;
        this.memory = memory;
        this.fn = NetworkFactory.activation(act).getActivationFunction();
        a = Nd4j.create(dt, rows, cols);
        dz = Nd4j.create(dt, rows, cols);
    }

    INDArray forward(INDArray z) {
        this.z = z;
        if (act == Activation.RELU) { // one host pass on the host path, not ND4J's copy and then its ReLU
            memory.biasRelu(z, null, a);
            return a;
        }
        INDArray out = fn.getActivation(a.assign(z), true);
        if (out != a) a.assign(out);
        return a;
    }

    INDArray output() {
        return a;
    }

    Activation fn() {
        return act;
    }

    INDArray backward(INDArray da) {
        if (act == Activation.RELU) return memory.reluBackprop(z, da, dz);
        if (TrainingMemory.backpropsFromOutput(act)) return memory.backpropFromOutput(act, z, a, da, dz);
        INDArray g = fn.backprop(dz.assign(z), da).getFirst(); // DL4J's backprop writes over its input
        return g == dz ? dz : dz.assign(g);
    }
}
