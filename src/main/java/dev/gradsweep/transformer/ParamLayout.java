package dev.gradsweep.transformer;

import dev.gradsweep.stats.Segment;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameter arrays of a network in one flat row-major buffer (and a gradient buffer of the same layout), in the
 * order they are added: each a {@link Segment} for the statistics and a view of its shape into both buffers. The
 * transformer and conv engines share it.
 */
public final class ParamLayout {
    private final List<Segment> segments = new ArrayList<>();
    private final List<long[]> shapes = new ArrayList<>();
    private long size;
    private INDArray params, grad;

    /** Adds an array; returns its index. */
    public int add(int layer, String layerName, String param, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (size + n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many parameters");
        segments.add(new Segment(layer, layerName, param, (int) size, (int) n, true));
        shapes.add(shape);
        size += n;
        return segments.size() - 1;
    }

    public void allocate(DataType dt) {
        params = Nd4j.create(dt, 1, size);
        grad = Nd4j.create(dt, 1, size);
    }

    public INDArray params() {
        return params;
    }

    public INDArray gradient() {
        return grad;
    }

    public Segment[] segments() {
        return segments.toArray(new Segment[0]);
    }

    public INDArray param(int i) {
        return Sublayer.view(params, segments.get(i).offset, shapes.get(i));
    }

    public INDArray grad(int i) {
        return Sublayer.view(grad, segments.get(i).offset, shapes.get(i));
    }

    /** A view of several consecutive arrays as one [rows, cols] matrix (rows summed, cols shared). */
    public INDArray params(int first, long rows, long cols) {
        return Sublayer.view(params, segments.get(first).offset, rows, cols);
    }

    public INDArray grads(int first, long rows, long cols) {
        return Sublayer.view(grad, segments.get(first).offset, rows, cols);
    }
}
