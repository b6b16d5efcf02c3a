package dev.gradsweep.train;

/** A layer whose activation output is measured; {@code index} follows the params table (0 nearest the input). */
public final class LayerInfo {
    public final int index;
    public final String name;
    public final String kind;
    public final int units;

    public LayerInfo(int index, String name, String kind, int units) {
        this.index = index;
        this.name = name;
        this.kind = kind;
        this.units = units;
    }
}
