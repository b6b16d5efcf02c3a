package dev.gradsweep.train.stack;

import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.Segment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a stack's parameters and gradients live: one flat parameter buffer and one flat gradient buffer for all K
 * runs, parameter array by parameter array in the DL4J network's flat order ([W of every run][b of every run] …),
 * with rank-3 views [K, rows, cols] over them for the batched ops, and each run's segments (its ranges) for the
 * per-run factors and fills; the statistics cover the segments that hold gradients, in the order DL4J's probe
 * reports them.
 */
final class StackLayout {
    /**
     * One parameter array of a run's network: as DL4J names it, its [rows × cols] shape and table layer index;
     * {@code gradient} false for batch norm's running statistics, whose gradient slot holds no gradient.
     */
    record Param(int layer, String layerName, String key, int rows, int cols, boolean gradient) {
        int length() {
            return rows * cols;
        }
    }

    final int k;
    final INDArray flatParams, flatGrad;
    /** Per parameter array: the [K, rows, cols] views of the parameters and of the gradient. */
    final INDArray[] p, g;
    /** [run][parameter array]. */
    final Segment[][] segments;
    /** [run][parameter array with a gradient]: the arrays the statistics and rows cover, and their statistics. */
    final Segment[][] measured;

    final ParamStats[][] stats;
    private final Map<String, Integer> index = new HashMap<>();

    StackLayout(int k, List<Param> params, DataType dt) {
        this.k = k;
        int n = params.size();
        long total = 0;
        for (Param q : params) total += (long) k * q.length();
        flatParams = Nd4j.create(dt, total);
        flatGrad = Nd4j.create(dt, total);
        p = new INDArray[n];
        g = new INDArray[n];
        segments = new Segment[k][n];
        int nMeasured = (int) params.stream().filter(Param::gradient).count();
        measured = new Segment[k][nMeasured];
        stats = new ParamStats[k][nMeasured];
        long off = 0;
        for (int i = 0, m = 0; i < n; i++) {
            Param q = params.get(i);
            long len = (long) k * q.length();
            p[i] = view(flatParams, off, len, q.rows, q.cols);
            g[i] = view(flatGrad, off, len, q.rows, q.cols);
            index.put(q.layerName + "_" + q.key, i);
            for (int r = 0; r < k; r++) {
                segments[r][i] = new Segment(
                        q.layer, q.layerName, q.key, (int) (off + (long) r * q.length()), q.length(), q.gradient);
                if (q.gradient) {
                    measured[r][m] = segments[r][i];
                    stats[r][m] = new ParamStats();
                }
            }
            if (q.gradient) m++;
            off += len;
        }
    }

    /** The index of a DL4J parameter array ({@code layerName}, {@code key}), e.g. ("block0.fc1", "W"). */
    int of(String layerName, String key) {
        Integer i = index.get(layerName + "_" + key);
        if (i == null) throw new IllegalArgumentException("no parameter " + layerName + "_" + key);
        return i;
    }

    /** The [K, rows, cols] parameter view of ({@code layerName}, {@code key}). */
    INDArray param(String layerName, String key) {
        return p[of(layerName, key)];
    }

    /** Its gradient view. */
    INDArray grad(String layerName, String key) {
        return g[of(layerName, key)];
    }

    long length() {
        return flatParams.length();
    }

    /** A [n/(rows·cols), rows, cols] row-major view of flat[off, off + n). */
    static INDArray view(INDArray flat, long off, long n, int rows, int cols) {
        return Nd4j.create(
                flat.data(),
                new long[] {n / ((long) rows * cols), rows, cols},
                new long[] {(long) rows * cols, cols, 1},
                off,
                'c');
    }

    /** Run r's [rows, cols] matrix inside a [k, rows, cols] row-major array. */
    static INDArray slice(INDArray stacked, int r) {
        long rows = stacked.size(1), cols = stacked.size(2);
        return Nd4j.create(stacked.data(), new long[] {rows, cols}, new long[] {cols, 1}, r * rows * cols, 'c');
    }
}
