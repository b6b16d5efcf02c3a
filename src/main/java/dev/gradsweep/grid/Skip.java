package dev.gradsweep.grid;

import java.util.Locale;

/** The {@code skip} axis: none (a plain MLP), residual, highway or rezero blocks. */
public enum Skip {
    NONE,
    RESIDUAL,
    HIGHWAY,
    REZERO;

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    @Override
    public String toString() {
        return key;
    }
}
