package dev.gradsweep.stats;

import dev.gradsweep.grid.Activation;

/**
 * A vertex output measured every step; {@code index} follows the params table (0 nearest the input). {@code fn} is
 * the function that produced it (null: none, e.g. a block's sum).
 */
public final class LayerInfo {
    public final int index;
    public final String name;
    public final String kind;
    public final Activation fn;

    public LayerInfo(int index, String name, String kind, Activation fn) {
        this.index = index;
        this.name = name;
        this.kind = kind;
        this.fn = fn;
    }
}
