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

        private double alpha() {
            return getParam("alpha").getDouble(0);
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, input.shape(), 'c');
            return out.assign(input).muli(alpha());
        }

        @Override
        public INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
            return activate(training, mgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray eps, LayerWorkspaceMgr mgr) {
            INDArray dAlpha = gradientViews.get("alpha");
            dAlpha.assign(eps.mul(input.castTo(dataType)).sumNumber().doubleValue());
            Gradient g = new DefaultGradient();
            g.gradientForVariable().put("alpha", dAlpha);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, eps.shape(), 'c');
            return new Pair<>(g, out.assign(eps).muli(alpha()));
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }
    }
}
