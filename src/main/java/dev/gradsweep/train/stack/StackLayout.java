package dev.gradsweep.train.stack;

import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.Segment;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a stack's parameters and gradients live: one flat parameter buffer and one flat gradient buffer for all K
 * runs, layer by layer [W of every run][b of every run], with rank-3 views [K, in, out] / [K, 1, out] over them for
 * the batched matmuls, and each run's segments (its W and b ranges) for the statistics and the per-run factors.
 */
final class StackLayout {
    final int k, layers;
    final INDArray flatParams, flatGrad;
    /** Per layer: the [K, in, out] weight and [K, 1, out] bias views of the parameters and of the gradient. */
    final INDArray[] w, b, dw, db;
    /** [run][2·layer (W), 2·layer + 1 (b)]. */
    final Segment[][] segments;

    final ParamStats[][] stats;

    /** @param fanIn, fanOut per layer (hidden layers then the output layer, named "output") */
    StackLayout(int k, int[] fanIn, int[] fanOut, DataType dt) {
        this.k = k;
        this.layers = fanIn.length;
        long total = 0;
        for (int l = 0; l < layers; l++) total += (long) k * (fanIn[l] + 1) * fanOut[l];
        flatParams = Nd4j.create(dt, total);
        flatGrad = Nd4j.create(dt, total);
        w = new INDArray[layers];
        b = new INDArray[layers];
        dw = new INDArray[layers];
        db = new INDArray[layers];
        segments = new Segment[k][2 * layers];
        stats = new ParamStats[k][2 * layers];
        long off = 0;
        for (int l = 0; l < layers; l++) {
            long nw = (long) k * fanIn[l] * fanOut[l], nb = (long) k * fanOut[l];
            w[l] = view(flatParams, off, nw, fanIn[l], fanOut[l]);
            dw[l] = view(flatGrad, off, nw, fanIn[l], fanOut[l]);
            b[l] = view(flatParams, off + nw, nb, 1, fanOut[l]);
            db[l] = view(flatGrad, off + nw, nb, 1, fanOut[l]);
            String name = layerName(l);
            for (int r = 0; r < k; r++) {
                segments[r][2 * l] = new Segment(
                        l, name, "W", (int) (off + (long) r * fanIn[l] * fanOut[l]), fanIn[l] * fanOut[l], true);
                segments[r][2 * l + 1] =
                        new Segment(l, name, "b", (int) (off + nw + (long) r * fanOut[l]), fanOut[l], true);
                stats[r][2 * l] = new ParamStats();
                stats[r][2 * l + 1] = new ParamStats();
            }
            off += nw + nb;
        }
    }

    /** The DL4J layer name of layer l, as NetworkFactory names a plain MLP's layers. */
    String layerName(int l) {
        return l == layers - 1 ? "output" : "dense" + l;
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
