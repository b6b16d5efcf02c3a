package dev.gradsweep.stats;

/**
 * One parameter array inside the network's flat parameter/gradient buffer: [offset, offset + length).
 * {@code gradient} is false for arrays whose "gradient" slot is not a gradient (batch norm's running mean and
 * variance: DL4J stores their new-minus-old delta there and applies it with a no-op updater).
 */
public final class Segment {
    public final int layer;
    public final String layerName;
    public final String param;
    public final int offset;
    public final int length;
    public final boolean gradient;

    public Segment(int layer, String layerName, String param, int offset, int length, boolean gradient) {
        this.layer = layer;
        this.layerName = layerName;
        this.param = param;
        this.offset = offset;
        this.length = length;
        this.gradient = gradient;
    }
}
