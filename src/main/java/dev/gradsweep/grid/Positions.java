package dev.gradsweep.grid;

import java.util.Locale;

/**
 * The {@code positions} axis of a transformer: learned (a trained [seq_len × width] embedding, the default) or
 * sinusoidal (the fixed sin/cos table of Vaswani et al. 2017, no parameters). Recorded as n/a for arch mlp.
 */
public enum Positions {
    LEARNED,
    SINUSOIDAL;

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    @Override
    public String toString() {
        return key;
    }
}
