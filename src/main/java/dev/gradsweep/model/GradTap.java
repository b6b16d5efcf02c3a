package dev.gradsweep.model;

import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.BaseGraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Identity vertex at a block's output that measures the gradient flowing back into it, ∂L/∂y (DL4J exposes no
 * per-vertex gradient to listeners): hands the epsilon to {@link Impl#sink} while it is live, and forwards both
 * directions unchanged.
 */
public final class GradTap extends org.deeplearning4j.nn.conf.graph.GraphVertex {
    @Override
    public GradTap clone() {
        return new GradTap();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GradTap;
    }

    @Override
    public int hashCode() {
        return 0x6a7a;
    }

    @Override
    public long numParams(boolean backprop) {
        return 0;
    }

    @Override
    public int minVertexInputs() {
        return 1;
    }

    @Override
    public int maxVertexInputs() {
        return 1;
    }

    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(
            ComputationGraph graph,
            String name,
            int idx,
            INDArray paramsView,
            boolean initializeParams,
            DataType dataType) {
        return new Impl(graph, name, idx, null, null, dataType);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) {
        return vertexInputs[0];
    }

    @Override
    public MemoryReport getMemoryReport(InputType... inputTypes) {
        return new LayerMemoryReport.Builder(null, GradTap.class, inputTypes[0], inputTypes[0])
                .standardMemory(0, 0)
                .workingMemory(0, 0, 0, 0)
                .cacheMemory(0, 0)
                .build();
    }

    public static final class Impl extends BaseGraphVertex {
        /** Receives ∂L/∂y of DL4J's batch-summed loss, [batch × units], valid only during the call; null: nothing. */
        public Consumer<INDArray> sink;

        Impl(ComputationGraph graph, String name, int idx, VertexIndices[] in, VertexIndices[] out, DataType dataType) {
            super(graph, name, idx, in, out, dataType);
        }

        @Override
        public boolean hasLayer() {
            return false;
        }

        @Override
        public Layer getLayer() {
            return null;
        }

        @Override
        public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
            return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, inputs[0]);
        }

        @Override
        public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
            if (sink != null) sink.accept(epsilon);
            return new Pair<>(null, new INDArray[] {workspaceMgr.leverageTo(ArrayType.ACTIVATION_GRAD, epsilon)});
        }

        @Override
        public void setBackpropGradientsViewArray(INDArray backpropGradientsViewArray) {
            if (backpropGradientsViewArray != null) throw new IllegalStateException("GradTap has no parameters");
        }

        @Override
        public Pair<INDArray, MaskState> feedForwardMaskArrays(
                INDArray[] maskArrays, MaskState currentMaskState, int minibatchSize) {
            return maskArrays == null || maskArrays.length == 0 ? null : new Pair<>(maskArrays[0], currentMaskState);
        }

        @Override
        public String toString() {
            return "GradTap(" + vertexName + ")";
        }
    }
}
