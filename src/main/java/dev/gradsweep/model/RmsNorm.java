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
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * RMSNorm (Zhang & Sennrich 2019) over the units of a [batch × n] input: y = γ ⊙ x / √(mean(x²) + ε), with a learned
 * gain {@code gamma} (starts at 1) and no centring and no bias, as current LLMs use it. Written like {@link LayerNorm}
 * (its ε too); DL4J has no layer for it.
 */
public final class RmsNorm extends RowParamLayer {
    public RmsNorm() {
        // for DL4J's JSON configuration copies
    }

    public RmsNorm(int n) {
        setNIn(n);
        setNOut(n);
    }

    @Override
    List<String> keys() {
        return List.of("gamma");
    }

    @Override
    long length(String key) {
        return getNOut();
    }

    @Override
    double initialValue(String key) {
        return 1;
    }

    @Override
    BaseLayer<?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new Impl(conf, dataType);
    }

    static final class Impl extends BaseLayer<RmsNorm> {
        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** {x̂ = x·r, r = 1/rms per row} of the current input. */
        private INDArray[] normalize() {
            INDArray x = input.castTo(dataType);
            INDArray inv = Transforms.pow(x.mul(x).mean(1).addi(LayerNorm.EPS), -0.5, false)
                    .reshape(x.size(0), 1);
            return new INDArray[] {x.mulColumnVector(inv), inv};
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            INDArray xhat = normalize()[0];
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, xhat.shape(), 'c');
            return out.assign(xhat.muliRowVector(getParam("gamma")));
        }

        @Override
        public INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
            return activate(training, mgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray eps, LayerWorkspaceMgr mgr) {
            INDArray[] n = normalize();
            INDArray xhat = n[0], inv = n[1];
            INDArray dGamma = gradientViews.get("gamma");
            dGamma.assign(eps.mul(xhat).sum(0).reshape(dGamma.shape()));
            // y_i = γ_i x_i r with ∂r/∂x_j = −r³ x_j / n, so dx = r·(d − x̂·mean(d ⊙ x̂)), d = ε ⊙ γ (layer norm's
            // backward without the mean terms)
            INDArray d = eps.mulRowVector(getParam("gamma"));
            long rows = d.size(0);
            INDArray dx = d.subi(xhat.mulColumnVector(d.mul(xhat).mean(1).reshape(rows, 1)))
                    .muliColumnVector(inv);
            Gradient g = new DefaultGradient();
            g.gradientForVariable().put("gamma", dGamma);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, dx.shape(), 'c');
            return new Pair<>(g, out.assign(dx));
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }
    }
}
