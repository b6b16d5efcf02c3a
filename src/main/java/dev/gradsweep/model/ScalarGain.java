package dev.gradsweep.model;

import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/** y = α·x with one learned scalar {@code alpha}, initialised to 0: ReZero's residual weight. */
public final class ScalarGain extends RowParamLayer {
    public ScalarGain() {
        // for DL4J's JSON configuration copies
    }

    public ScalarGain(int n) {
        setNIn(n);
        setNOut(n);
    }

    @Override
    List<String> keys() {
        return List.of("alpha");
    }

    @Override
    long length(String key) {
        return 1;
    }

    @Override
    double initialValue(String key) {
        return 0;
    }

    @Override
    BaseLayer<?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new Impl(conf, dataType);
    }

    static final class Impl extends BaseLayer<ScalarGain> {
        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** out = x · α with α left on the device (an INDArray operand, not a host read of it: see the GPU docs). */
        private INDArray timesAlpha(INDArray out) {
            return Nd4j.exec(new MulOp(out, getParam("alpha"), out))[0];
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, input.shape(), 'c');
            return timesAlpha(out.assign(input));
        }

        @Override
        public INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
            return activate(training, mgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray eps, LayerWorkspaceMgr mgr) {
            INDArray dAlpha = gradientViews.get("alpha");
            // ∂L/∂α = Σ ε ⊙ x, reduced on the device into α's gradient view
            INDArray prod = eps.mul(input.castTo(dataType));
            prod.reshape('c', 1, prod.length()).sum(dAlpha.reshape(1), 1);
            Gradient g = new DefaultGradient();
            g.gradientForVariable().put("alpha", dAlpha);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, eps.shape(), 'c');
            return new Pair<>(g, timesAlpha(out.assign(eps)));
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }
    }
}
