package dev.gradsweep.model;

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
 * The layer of {@link LayerNorm} (centred: x̂ = (x − μ)/√(σ² + ε), y = γ ⊙ x̂ + β) and of {@link RmsNorm} (not
 * centred: x̂ = x/√(mean(x²) + ε), y = γ ⊙ x̂, no β), per row of a [batch × n] input; ε = {@link LayerNorm#EPS}.
 * RMSNorm is layer norm without its mean terms, so one forward and one backward serve both.
 */
final class NormLayerImpl extends BaseLayer<RowParamLayer> {
    private final boolean centred;

    NormLayerImpl(NeuralNetConfiguration conf, DataType dataType, boolean centred) {
        super(conf, dataType);
        this.centred = centred;
    }

    /** {x̂, 1/σ (or 1/rms) per row} of the current input. */
    private INDArray[] normalize() {
        INDArray x = input.castTo(dataType);
        // centred: a new array, scaled in place; otherwise x may be the input itself, so the scaling copies
        INDArray xc = centred ? x.subColumnVector(x.mean(1).reshape(x.size(0), 1)) : x;
        INDArray inv = Transforms.pow(xc.mul(xc).mean(1).addi(LayerNorm.EPS), -0.5, false)
                .reshape(x.size(0), 1);
        return new INDArray[] {centred ? xc.muliColumnVector(inv) : xc.mulColumnVector(inv), inv};
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        INDArray y = normalize()[0].muliRowVector(getParam("gamma"));
        if (centred) y.addiRowVector(getParam("beta"));
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, y.shape(), 'c');
        return out.assign(y);
    }

    @Override
    public INDArray preOutput(boolean training, LayerWorkspaceMgr mgr) {
        return activate(training, mgr);
    }

    /**
     * dx = (1/σ)·(d − mean(d) − x̂·mean(d ⊙ x̂)), d = ε ⊙ γ, means over the units of each row; not centred, the same
     * without mean(d) (y_i = γ_i x_i r with ∂r/∂x_j = −r³ x_j / n).
     */
    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray eps, LayerWorkspaceMgr mgr) {
        INDArray[] n = normalize();
        INDArray xhat = n[0], inv = n[1];
        Gradient g = new DefaultGradient();
        INDArray dGamma = gradientViews.get("gamma");
        dGamma.assign(eps.mul(xhat).sum(0).reshape(dGamma.shape()));
        g.gradientForVariable().put("gamma", dGamma);
        if (centred) {
            INDArray dBeta = gradientViews.get("beta");
            dBeta.assign(eps.sum(0).reshape(dBeta.shape()));
            g.gradientForVariable().put("beta", dBeta);
        }
        INDArray d = eps.mulRowVector(getParam("gamma"));
        long rows = d.size(0);
        INDArray c = centred ? d.subColumnVector(d.mean(1).reshape(rows, 1)) : d;
        INDArray dx = c.subi(xhat.mulColumnVector(d.mul(xhat).mean(1).reshape(rows, 1)))
                .muliColumnVector(inv);
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, dx.shape(), 'c');
        return new Pair<>(g, out.assign(dx));
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }
}
