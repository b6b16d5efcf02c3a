package dev.gradsweep.train;

/** One parameter array inside the network's flat parameter/gradient buffer: [offset, offset + length). */
public final class Segment {
    public final int layer;
    public final String layerName;
    public final String param;
    public final int offset;
    public final int length;

    public Segment(int layer, String layerName, String param, int offset, int length) {
        this.layer = layer;
        this.layerName = layerName;
        this.param = param;
        this.offset = offset;
        this.length = length;
    }
}
