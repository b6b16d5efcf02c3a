package dev.gradsweep.model;

import org.deeplearning4j.nn.weights.IWeightInit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@code normal:<σw>}: W ~ N(0, σw²/fan_in), the mean-field parameterisation of Poole et al. / Schoenholz et al. */
public class ScaledNormalInit implements IWeightInit {
    private double sigmaW;

    public ScaledNormalInit() {
        // for DL4J's (shaded Jackson) configuration serialisation
    }

    public ScaledNormalInit(double sigmaW) {
        this.sigmaW = sigmaW;
    }

    @Override
    public INDArray init(double fanIn, double fanOut, long[] shape, char order, INDArray paramView) {
        Nd4j.randn(paramView).muli(sigmaW / Math.sqrt(fanIn));
        return paramView.reshape(order, shape);
    }
}
