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
    /**
     * Where a listener run's δ of this layer comes from: the params row {@code b} or {@code beta}, or {@code none: } and
     * why; null for the built-in engines, whose δ the architecture defines (docs/schema.md, layers).
     */
    public final String deltaFrom;

    public LayerInfo(int index, String name, String kind, Activation fn) {
        this(index, name, kind, fn, null);
    }

    public LayerInfo(int index, String name, String kind, Activation fn, String deltaFrom) {
        this.index = index;
        this.name = name;
        this.kind = kind;
        this.fn = fn;
        this.deltaFrom = deltaFrom;
    }
}
