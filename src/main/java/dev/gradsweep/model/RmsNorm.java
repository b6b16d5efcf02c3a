package dev.gradsweep.model;

import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * RMSNorm (Zhang & Sennrich 2019) over the units of a [batch × n] input: y = γ ⊙ x / √(mean(x²) + ε), with a learned
 * gain {@code gamma} (starts at 1) and no centring and no bias, as current LLMs use it. Written like {@link LayerNorm}
 * (its ε too, and its layer: {@link NormLayerImpl}); DL4J has no layer for it.
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
        return new NormLayerImpl(conf, dataType, false);
    }
}
