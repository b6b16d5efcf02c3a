package dev.gradsweep.grid;

import java.util.Locale;

/**
 * The {@code arch} axis: mlp (the feed-forward nets, and the recurrent ones under {@code cell}), transformer, or conv
 * (convolutional nets over image rows, docs/grid.md#convolutional-nets).
 */
public enum Arch {
    MLP,
    TRANSFORMER,
    CONV;

    /** The values a grid can use. */
    public static final String ALLOWED = "mlp, transformer, conv";

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    public static Arch parse(String s) {
        for (Arch a : values()) if (a.key.equals(s.trim().toLowerCase(Locale.ROOT))) return a;
        return null;
    }

    @Override
    public String toString() {
        return key;
    }
}
