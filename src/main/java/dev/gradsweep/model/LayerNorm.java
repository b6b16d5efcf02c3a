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
 * Layer normalization over the units of a [batch × n] input: y = γ ⊙ (x − μ)/√(σ² + ε) + β, with learned gain
 * {@code gamma} (starts at 1) and bias {@code beta} (starts at 0), named like batch norm's so that one query covers
 * both norms. DL4J has no standalone layer for it.
 */
public final class LayerNorm extends RowParamLayer {
    /** Added to the variance, as in PyTorch's LayerNorm. */
    public static final double EPS = 1e-5;

    public LayerNorm() {
        // for DL4J's JSON configuration copies
    }

    public LayerNorm(int n) {
        setNIn(n);
        setNOut(n);
    }

    @Override
    List<String> keys() {
        return List.of("gamma", "beta");
    }

    @Override
    long length(String key) {
        return getNOut();
    }

    @Override
    double initialValue(String key) {
        return key.equals("gamma") ? 1 : 0;
    }

    @Override
    BaseLayer<?> newImpl(NeuralNetConfiguration conf, DataType dataType) {
        return new Impl(conf, dataType);
    }

    static final class Impl extends BaseLayer<LayerNorm> {
        Impl(NeuralNetConfiguration conf, DataType dataType) {
            super(conf, dataType);
        }

        /** {x̂, 1/σ per row} of the current input. */
        private INDArray[] normalize() {
            INDArray x = input.castTo(dataType);
            INDArray xc = x.subColumnVector(x.mean(1).reshape(x.size(0), 1));
            INDArray inv =
                    Transforms.pow(xc.mul(xc).mean(1).addi(EPS), -0.5, false).reshape(x.size(0), 1);
            return new INDArray[] {xc.muliColumnVector(inv), inv};
        }

        @Override
        public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
            assertInputSet(false);
            INDArray xhat = normalize()[0];
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, xhat.shape(), 'c');
            return out.assign(xhat.muliRowVector(getParam("gamma")).addiRowVector(getParam("beta")));
        }

        @Override
        public INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
            return activate(training, mgr);
        }

        @Override
        public Pair<Gradient, INDArray> backpropGradient(INDArray eps, LayerWorkspaceMgr mgr) {
            INDArray[] n = normalize();
            INDArray xhat = n[0], inv = n[1];
            INDArray dGamma = gradientViews.get("gamma"), dBeta = gradientViews.get("beta");
            dGamma.assign(eps.mul(xhat).sum(0).reshape(dGamma.shape()));
            dBeta.assign(eps.sum(0).reshape(dBeta.shape()));
            // dx = (1/σ)·(d − mean(d) − x̂·mean(d ⊙ x̂)), d = ε ⊙ γ, means over the units of each row
            INDArray d = eps.mulRowVector(getParam("gamma"));
            long rows = d.size(0);
            INDArray dx = d.subColumnVector(d.mean(1).reshape(rows, 1))
                    .subi(xhat.mulColumnVector(d.mul(xhat).mean(1).reshape(rows, 1)))
                    .muliColumnVector(inv);
            Gradient g = new DefaultGradient();
            g.gradientForVariable().put("gamma", dGamma);
            g.gradientForVariable().put("beta", dBeta);
            INDArray out = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, dx.shape(), 'c');
            return new Pair<>(g, out.assign(dx));
        }

        @Override
        public boolean isPretrainLayer() {
            return false;
        }
    }
}
