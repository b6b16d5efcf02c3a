package dev.gradsweep.model;

import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.nd4j.linalg.api.buffer.DataType;

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
        return new NormLayerImpl(conf, dataType, true);
    }
}
