package dev.gradsweep.stats;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.conv.kernel.HostConv;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.Simd;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The CPU backend's path: reductions read the arrays' host memory in place (SIMD loops, no ND4J op per array) and
 * writes go straight to it, which is only right where host memory is the array. Nothing is deferred.
 */
final class HostDirectMemory implements TrainingMemory {
    HostDirectMemory() {
        if (!org.nd4j.linalg.factory.Nd4j.getEnvironment().isCPU())
            throw new IllegalStateException(
                    "host-direct memory access needs the CPU backend; this one keeps device copies");
    }

    @Override
    public String name() {
        return "host-direct";
    }

    /** The last {@link #gradient} call's segments and results, which {@link #clipByNorm} takes its norms from. */
    private Segment[] lastSegs;

    private ParamStats[] lastStats;

    @Override
    public void gradient(INDArray grad, INDArray params, Segment[] segs, double scale, ParamStats[] into) {
        lastSegs = segs;
        lastStats = into;
        HostArray g = HostArray.of(grad), p = params == null ? null : HostArray.of(params);
        for (int i = 0; i < segs.length; i++)
            into[i].setGradient(g, p, segs[i].offset, segs[i].offset + segs[i].length, scale);
    }

    @Override
    public void update(INDArray update, Segment[] segs, ParamStats[] into) {
        HostArray u = HostArray.of(update);
        for (int i = 0; i < segs.length; i++) into[i].addUpdate(u, segs[i].offset, segs[i].offset + segs[i].length);
    }

    @Override
    public void sumSq(INDArray flat, Segment[] segs, double[] into) {
        HostArray h = HostArray.of(flat);
        for (int i = 0; i < segs.length; i++) into[i] = h.sumSq(segs[i].offset, segs[i].offset + segs[i].length);
    }

    @Override
    public void sumSq(INDArray a, double[] into, int at) {
        HostArray h = HostArray.of(a);
        into[at] = h.sumSq(0, h.length);
    }

    @Override
    public void activations(INDArray a, int groups, Activation fn, ActStats[] into) {
        HostArray h = HostArray.of(a);
        int rows = (int) (a.size(0) / groups);
        for (int g = 0; g < groups; g++) into[g].add(h, g * rows, (g + 1) * rows, fn);
    }

    @Override
    public void activations(INDArray[] arrays, int groups, Activation fn, ActStats[] into) {
        for (int i = 0; i < arrays.length; i++)
            activations(arrays[i], groups, fn, java.util.Arrays.copyOfRange(into, i * groups, (i + 1) * groups));
    }

    @Override
    public void read(INDArray a, double[] into) {
        HostArray h = HostArray.of(a.ordering() == 'c' ? a : a.dup('c'));
        h.read(0, h.length, into);
    }

    @Override
    public void sync() {}

    @Override
    public long transfers() {
        return 0;
    }

    /**
     * The norms are already on the host (nothing is deferred here). A set that is one contiguous range (a single net's
     * gradient) is scaled by one ND4J multiply, anything else (a run's arrays spread over a stack) by one pass over
     * its segments' host memory, cheaper than an ND4J op per array.
     */
    @Override
    public void clipByNorm(INDArray grad, Segment[][] sets, double[] bound) {
        java.util.Map<Segment, ParamStats> stats = new java.util.IdentityHashMap<>();
        for (int i = 0; i < lastSegs.length; i++) stats.put(lastSegs[i], lastStats[i]);
        int at = HostMemory.offset(grad);
        for (int j = 0; j < sets.length; j++) {
            double sq = 0; // summed in segment order, as the probe's total
            for (Segment s : sets[j]) {
                ParamStats st = stats.get(s);
                if (st == null)
                    throw new IllegalStateException(
                            s.layerName + "_" + s.param + " was not in the last gradient reduction");
                sq += st.sumSq;
            }
            double f = TrainingMemory.clipFactor(Math.sqrt(sq), bound[j]);
            if (f == 1) continue;
            Segment first = sets[j][0], last = sets[j][sets[j].length - 1];
            boolean contiguous = true;
            for (int i = 1; i < sets[j].length; i++)
                contiguous &= sets[j][i].offset == sets[j][i - 1].offset + sets[j][i - 1].length;
            if (contiguous)
                grad.reshape(grad.length())
                        .get(org.nd4j.linalg.indexing.NDArrayIndex.interval(first.offset, last.offset + last.length))
                        .muli(f);
            else if (grad.dataType() == DataType.DOUBLE) {
                DoubleBuffer b = grad.data().asNioDouble();
                for (Segment s : sets[j])
                    for (int i = at + s.offset; i < at + s.offset + s.length; i++) b.put(i, b.get(i) * f);
            } else {
                FloatBuffer b = grad.data().asNioFloat();
                float ff = (float) f; // as ND4J's scalar multiply of a float32 array
                for (Segment s : sets[j])
                    for (int i = at + s.offset; i < at + s.offset + s.length; i++) b.put(i, b.get(i) * ff);
            }
        }
    }

    @Override
    public ParamStep paramStep(INDArray params, INDArray update) {
        return new ParamStep(params, update);
    }

    @Override
    public void writeRows(INDArray target, double[] src, int[] order, int from, int rows, int cols) {
        int at = HostMemory.offset(target);
        if (target.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = target.data().asNioDouble();
            for (int r = 0; r < rows; r++) b.put(at + r * cols, src, order[from + r] * cols, cols);
        } else {
            FloatBuffer b = target.data().asNioFloat();
            for (int r = 0; r < rows; r++) {
                int base = order[from + r] * cols;
                for (int c = 0; c < cols; c++) b.put(at + r * cols + c, (float) src[base + c]);
            }
        }
    }

    @Override
    public void scale(INDArray x, RunFactors f, INDArray minuend) {
        if (minuend != null && (minuend.dataType() != x.dataType() || minuend.length() != x.length()))
            throw new IllegalArgumentException("scale: the minuend must match the scaled buffer");
        int xAt = HostMemory.offset(x), pAt = minuend == null ? 0 : HostMemory.offset(minuend);
        if (x.dataType() == DataType.DOUBLE) {
            DoubleBuffer xb = x.data().asNioDouble(),
                    pb = minuend == null ? null : minuend.data().asNioDouble();
            for (int r = 0; r < f.runs.length; r++)
                for (Segment s : f.runs[r])
                    for (int i = s.offset; i < s.offset + s.length; i++) {
                        double v = xb.get(xAt + i) * f.value[r];
                        xb.put(xAt + i, v);
                        if (pb != null) pb.put(pAt + i, pb.get(pAt + i) - v);
                    }
            return;
        }
        if (x.dataType() != DataType.FLOAT
                || !HostArray.isContiguous(x)
                || minuend != null && !HostArray.isContiguous(minuend))
            throw new IllegalArgumentException("scale: contiguous float32 or float64 buffers only");
        HostArray xh = HostArray.of(x), ph = minuend == null ? null : HostArray.of(minuend);
        if (Simd.ENABLED) {
            for (int r = 0; r < f.runs.length; r++) {
                float v = (float) f.value[r];
                for (Segment s : f.runs[r])
                    for (int at = s.offset; at < s.offset + s.length; at += HostArray.BLOCK)
                        Simd.scale(
                                xh.floats(at),
                                v,
                                ph == null ? null : ph.floats(at),
                                Math.min(HostArray.BLOCK, s.offset + s.length - at));
            }
            return;
        }
        FloatBuffer xb = x.data().asNioFloat(),
                pb = minuend == null ? null : minuend.data().asNioFloat();
        for (int r = 0; r < f.runs.length; r++) {
            float fr = (float) f.value[r];
            for (Segment s : f.runs[r])
                for (int i = s.offset; i < s.offset + s.length; i++) {
                    float v = xb.get(xAt + i) * fr;
                    xb.put(xAt + i, v);
                    if (pb != null) pb.put(pAt + i, pb.get(pAt + i) - v);
                }
        }
    }

    @Override
    public void fill(INDArray flat, Segment[] segs, double v) {
        int at = HostMemory.offset(flat);
        if (flat.dataType() == DataType.DOUBLE) {
            DoubleBuffer buf = flat.data().asNioDouble();
            for (Segment s : segs) for (int i = s.offset; i < s.offset + s.length; i++) buf.put(at + i, v);
        } else {
            FloatBuffer buf = flat.data().asNioFloat();
            for (Segment s : segs) for (int i = s.offset; i < s.offset + s.length; i++) buf.put(at + i, (float) v);
        }
    }

    @Override
    public void copyRowMajor(INDArray src, INDArray flat, int at) {
        HostArray h = HostArray.of(src);
        boolean vector = src.rank() == 1;
        int rows = vector ? 1 : (int) src.size(0),
                cols = vector ? (int) src.length() : (int) src.size(1),
                base = HostMemory.offset(flat) + at;
        if (flat.dataType() == DataType.DOUBLE) {
            DoubleBuffer buf = flat.data().asNioDouble();
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) buf.put(base + i * cols + j, h.get(i, j, cols));
        } else {
            FloatBuffer buf = flat.data().asNioFloat();
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) buf.put(base + i * cols + j, (float) h.get(i, j, cols));
        }
    }

    @Override
    public void biasRelu(INDArray z, INDArray rows, INDArray a) {
        HostActivations.biasRelu(z, rows, a);
    }

    @Override
    public INDArray reluBackprop(INDArray z, INDArray dy, INDArray into) {
        return HostActivations.reluBackprop(z, dy, into);
    }

    @Override
    public void matmul(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        HostMatmul.matmul(a, b, c, transA, transB);
    }

    @Override
    public void addRows(INDArray z, INDArray rows) {
        DataType dt = z.dataType();
        requireContiguous("addRows", dt, z, rows);
        int k = (int) z.size(0), batch = (int) z.size(1), n = (int) z.size(2);
        requireRows("addRows", k, n, rows);
        if (dt == DataType.FLOAT && Simd.ENABLED) {
            HostArray zh = HostArray.of(z), bh = HostArray.of(rows);
            for (int r = 0; r < k; r++) Simd.addToRows(zh.floats(r * batch * n), batch, bh.floats(r * n), n);
            return;
        }
        int zAt = HostMemory.offset(z), bAt = HostMemory.offset(rows);
        if (dt == DataType.DOUBLE) {
            DoubleBuffer zb = z.data().asNioDouble(), bb = rows.data().asNioDouble();
            for (int i = 0; i < k * batch * n; i++)
                zb.put(zAt + i, zb.get(zAt + i) + bb.get(bAt + i / (batch * n) * n + i % n));
        } else {
            FloatBuffer zb = z.data().asNioFloat(), bb = rows.data().asNioFloat();
            for (int i = 0; i < k * batch * n; i++)
                zb.put(zAt + i, zb.get(zAt + i) + bb.get(bAt + i / (batch * n) * n + i % n));
        }
    }

    @Override
    public void add(INDArray a, INDArray b, INDArray out) {
        DataType dt = out.dataType();
        requireContiguous("add", dt, a, b, out);
        if (a.length() != out.length() || b.length() != out.length())
            throw new IllegalArgumentException("add: a, b and out must have one length");
        int n = (int) out.length();
        if (dt == DataType.FLOAT && Simd.ENABLED) {
            HostArray ah = HostArray.of(a), bh = HostArray.of(b), oh = HostArray.of(out);
            for (int at = 0; at < n; at += HostArray.BLOCK)
                Simd.add(ah.floats(at), bh.floats(at), oh.floats(at), Math.min(HostArray.BLOCK, n - at));
            return;
        }
        int aAt = HostMemory.offset(a), bAt = HostMemory.offset(b), oAt = HostMemory.offset(out);
        if (dt == DataType.DOUBLE) {
            DoubleBuffer ab = a.data().asNioDouble(),
                    bb = b.data().asNioDouble(),
                    ob = out.data().asNioDouble();
            for (int i = 0; i < n; i++) ob.put(oAt + i, ab.get(aAt + i) + bb.get(bAt + i));
        } else {
            FloatBuffer ab = a.data().asNioFloat(),
                    bb = b.data().asNioFloat(),
                    ob = out.data().asNioFloat();
            for (int i = 0; i < n; i++) ob.put(oAt + i, ab.get(aAt + i) + bb.get(bAt + i));
        }
    }

    @Override
    public INDArray backpropFromOutput(Activation fn, INDArray z, INDArray a, INDArray dy, INDArray into) {
        return HostActivations.backpropFromOutput(fn, z, a, dy, into);
    }

    /** float32 without the SIMD loops runs ND4J's reduction itself. */
    @Override
    public void sumOverBatch(INDArray d, INDArray into) {
        DataType dt = d.dataType();
        if (dt == DataType.FLOAT && !Simd.ENABLED) {
            PortableMemory.batchSum(d, into);
            return;
        }
        requireContiguous("sumOverBatch", dt, d, into);
        int k = (int) d.size(0), batch = (int) d.size(1), n = (int) d.size(2);
        requireRows("sumOverBatch", k, n, into);
        if (dt == DataType.FLOAT) {
            HostArray dh = HostArray.of(d), ih = HostArray.of(into);
            for (int r = 0; r < k; r++) Simd.sumRows(dh.floats(r * batch * n), batch, n, ih.floats(r * n));
            return;
        }
        int dAt = HostMemory.offset(d), iAt = HostMemory.offset(into);
        DoubleBuffer db = d.data().asNioDouble(), ib = into.data().asNioDouble();
        for (int r = 0; r < k; r++) {
            for (int j = 0; j < n; j++) ib.put(iAt + r * n + j, 0.0);
            for (int q = 0; q < batch; q++) // row after row, in storage order: each column's sum in batch order
            for (int j = 0; j < n; j++)
                    ib.put(iAt + r * n + j, ib.get(iAt + r * n + j) + db.get(dAt + (r * batch + q) * n + j));
        }
    }

    @Override
    public void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b) {
        HostLayerNorm.layerNormForward(x, gamma, beta, eps, b);
    }

    @Override
    public INDArray layerNormBackward(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b) {
        return HostLayerNorm.layerNormBackward(dy, gamma, dGamma, dBeta, b);
    }

    /** Per-run rows of a layer norm's n units: K·n elements each. */
    static void requireRows(String op, int k, int n, INDArray... rows) {
        for (INDArray a : rows)
            if (a.length() != (long) k * n)
                throw new IllegalArgumentException(
                        op + ": one row of " + n + " per run, not " + a.length() + " values");
    }

    /** The host passes index raw memory: contiguous arrays of one type, float32 or float64 (null entries skipped). */
    @Override
    public void attentionSoftmax(
            INDArray s, double scale, INDArray mask, INDArray a, double[] maxLogit, double[] entropy) {
        if (!HostAttention.softmax(s, scale, mask != null, a, maxLogit, entropy))
            TrainingMemory.super.attentionSoftmax(s, scale, mask, a, maxLogit, entropy);
    }

    @Override
    public void attentionSoftmaxBackward(INDArray a, INDArray da, double scale) {
        if (!HostAttention.softmaxBackward(a, da, scale)) TrainingMemory.super.attentionSoftmaxBackward(a, da, scale);
    }

    @Override
    public void unitRowSums(INDArray y, int groups, double[] into) {
        if (!HostAttention.unitRowSums(y, groups, into)) TrainingMemory.super.unitRowSums(y, groups, into);
    }

    /** Per memory instance (one per engine), so the kernels' scratch is never shared between threads. */
    private final HostConv hostConv = new HostConv();

    @Override
    public void conv(ConvShape s, INDArray x, INDArray w, INDArray y) {
        if (!hostFloats(x, w, y)) {
            TrainingMemory.super.conv(s, x, w, y);
            return;
        }
        float[] out = hostConv.buffer(2, s.outputSize());
        hostConv.forward(s, x.data().asNioFloat(), HostMemory.offset(x), floats(w, 1), out);
        put(out, y);
    }

    @Override
    public void convBackward(ConvShape s, INDArray x, INDArray w, INDArray dy, INDArray dx, INDArray dw) {
        if (!hostFloats(x, w, dy, dx, dw)) {
            TrainingMemory.super.convBackward(s, x, w, dy, dx, dw);
            return;
        }
        float[] gx = dx == null ? null : hostConv.buffer(3, s.inputSize()), gw = hostConv.buffer(4, s.weightSize());
        hostConv.backward(s, x.data().asNioFloat(), HostMemory.offset(x), floats(w, 1), floats(dy, 2), gx, gw);
        if (gx != null) put(gx, dx);
        put(gw, dw);
    }

    private static boolean hostFloats(INDArray... arrays) {
        for (INDArray a : arrays)
            if (a != null && (a.dataType() != DataType.FLOAT || !HostArray.isContiguous(a))) return false;
        return true;
    }

    /** The array's elements copied into scratch slot {@code slot}. */
    private float[] floats(INDArray a, int slot) {
        int n = (int) a.length();
        float[] f = hostConv.buffer(slot, n);
        a.data().asNioFloat().get(HostMemory.offset(a), f, 0, n);
        return f;
    }

    private static void put(float[] f, INDArray a) {
        a.data().asNioFloat().put(HostMemory.offset(a), f, 0, (int) a.length());
    }

    @Override
    public void rowNorm(
            INDArray x, INDArray gamma, INDArray beta, double eps, INDArray xhat, INDArray inv, INDArray y) {
        if (!HostAttention.rowNorm(x, gamma, beta, eps, xhat, inv, y))
            TrainingMemory.super.rowNorm(x, gamma, beta, eps, xhat, inv, y);
    }

    @Override
    public void rowNormBackward(
            INDArray dy,
            INDArray gamma,
            INDArray xhat,
            INDArray inv,
            INDArray res,
            INDArray dGamma,
            INDArray dBeta,
            INDArray dx) {
        if (!HostAttention.rowNormBackward(dy, gamma, xhat, inv, res, dGamma, dBeta, dx))
            TrainingMemory.super.rowNormBackward(dy, gamma, xhat, inv, res, dGamma, dBeta, dx);
    }

    @Override
    public void channelNorm(INDArray x, INDArray gamma, INDArray beta, ChannelNormBuffers b) {
        if (!HostChannelNorm.forward(x, gamma, beta, b)) TrainingMemory.super.channelNorm(x, gamma, beta, b);
    }

    @Override
    public INDArray channelNormBackward(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, ChannelNormBuffers b) {
        if (HostChannelNorm.backward(dy, gamma, dGamma, dBeta, b)) return b.dx;
        return TrainingMemory.super.channelNormBackward(dy, gamma, dGamma, dBeta, b);
    }

    static void requireContiguous(String op, DataType dt, INDArray... arrays) {
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE)
            throw new IllegalArgumentException(op + ": float32 or float64 only, not " + dt);
        for (INDArray x : arrays)
            if (x != null && (x.dataType() != dt || !HostArray.isContiguous(x)))
                throw new IllegalArgumentException(op + ": contiguous arrays of one data type only");
    }
}
