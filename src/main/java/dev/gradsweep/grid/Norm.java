package dev.gradsweep.grid;

import java.util.Locale;

/** The {@code norm} axis: none, batch (BatchNormalization) or layer (layer norm with gain and bias). */
public enum Norm {
    NONE,
    BATCH,
    LAYER;

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    @Override
    public String toString() {
        return key;
    }
}
