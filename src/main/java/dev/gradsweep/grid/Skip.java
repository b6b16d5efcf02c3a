package dev.gradsweep.grid;

import java.util.Locale;

/**
 * The {@code skip} axis: none (a plain MLP), residual, highway or rezero blocks, or deepnorm (Wang et al. 2022: N(x·α +
 * F(x)) with α = (2N)^¼ for N blocks; transformers with a post norm only).
 */
public enum Skip {
    NONE,
    RESIDUAL,
    HIGHWAY,
    REZERO,
    DEEPNORM,
    /** Fixup (Zhang et al. 2019), arch conv only: residual blocks without a norm, their branches initialised to train. */
    FIXUP;

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    @Override
    public String toString() {
        return key;
    }
}
