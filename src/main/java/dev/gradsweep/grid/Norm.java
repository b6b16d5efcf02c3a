package dev.gradsweep.grid;

import java.util.Locale;

/**
 * The {@code norm} axis: none, batch (BatchNormalization), layer (layer norm with gain and bias) or rms (RMSNorm with a
 * gain: x / sqrt(mean(x²) + ε), no centring and no bias).
 */
public enum Norm {
    NONE,
    BATCH,
    LAYER,
    RMS,
    /** Group norm (Wu & He 2018), arch conv only: per sample over each group of channels and the spatial positions. */
    GROUP;

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    @Override
    public String toString() {
        return key;
    }
}
