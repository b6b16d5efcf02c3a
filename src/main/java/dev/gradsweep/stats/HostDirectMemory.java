package dev.gradsweep.stats;

import dev.gradsweep.conv.kernel.ConvShape;
import dev.gradsweep.conv.kernel.HostConv;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.Simd;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

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
                                xh.bytes(),
                                xh.base() + at,
                                v,
                                ph == null ? null : ph.bytes(),
                                ph == null ? 0 : ph.base() + at,
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
        int k = (int) z.size(0), units = (int) z.size(2), perRun = (int) (z.size(1) * units);
        requireContiguous("biasRelu", z.dataType(), z, a, rows);
        if (rows != null && rows.length() != (long) k * units)
            throw new IllegalArgumentException("biasRelu: one row of " + units + " per run");
        int zAt = HostMemory.offset(z), aAt = HostMemory.offset(a), bAt = rows == null ? 0 : HostMemory.offset(rows);
        if (z.dataType() == DataType.DOUBLE) {
            DoubleBuffer zb = z.data().asNioDouble(),
                    ab = a.data().asNioDouble(),
                    bb = rows == null ? null : rows.data().asNioDouble();
            for (int i = 0; i < k * perRun; i++) {
                double v = zb.get(zAt + i);
                if (bb != null) zb.put(zAt + i, v += bb.get(bAt + i / perRun * units + i % units));
                ab.put(aAt + i, v < 0 ? 0.0 : v);
            }
            return;
        }
        if (Simd.ENABLED && rows != null) {
            HostArray zh = HostArray.of(z), ah = HostArray.of(a), bh = HostArray.of(rows);
            for (int i = 0; i < k * perRun; i += units)
                Simd.biasRelu(
                        zh.bytes(),
                        zh.base() + i,
                        bh.bytes(),
                        bh.base() + i / perRun * units,
                        ah.bytes(),
                        ah.base() + i,
                        units);
            return;
        }
        FloatBuffer zb = z.data().asNioFloat(),
                ab = a.data().asNioFloat(),
                bb = rows == null ? null : rows.data().asNioFloat();
        for (int i = 0; i < k * perRun; i++) {
            float v = zb.get(zAt + i);
            if (bb != null) zb.put(zAt + i, v += bb.get(bAt + i / perRun * units + i % units));
            ab.put(aAt + i, v < 0 ? 0f : v);
        }
    }

    @Override
    public INDArray reluBackprop(INDArray z, INDArray dy, INDArray into) {
        requireContiguous("reluBackprop", z.dataType(), z, dy, into);
        if (dy.length() != z.length() || into.length() != z.length())
            throw new IllegalArgumentException("reluBackprop: z, dy and into must have one length");
        int n = (int) z.length(),
                zAt = HostMemory.offset(z),
                dAt = HostMemory.offset(dy),
                oAt = HostMemory.offset(into);
        if (z.dataType() == DataType.DOUBLE) {
            DoubleBuffer zb = z.data().asNioDouble(),
                    db = dy.data().asNioDouble(),
                    ob = into.data().asNioDouble();
            for (int i = 0; i < n; i++) ob.put(oAt + i, zb.get(zAt + i) > 0 ? db.get(dAt + i) : 0.0);
        } else if (Simd.ENABLED) {
            HostArray zh = HostArray.of(z), dh = HostArray.of(dy), oh = HostArray.of(into);
            for (int at = 0; at < n; at += HostArray.BLOCK)
                Simd.reluBackprop(
                        zh.bytes(),
                        zh.base() + at,
                        dh.bytes(),
                        dh.base() + at,
                        oh.bytes(),
                        oh.base() + at,
                        Math.min(HostArray.BLOCK, n - at));
        } else {
            FloatBuffer zb = z.data().asNioFloat(),
                    db = dy.data().asNioFloat(),
                    ob = into.data().asNioFloat();
            for (int i = 0; i < n; i++) ob.put(oAt + i, zb.get(zAt + i) > 0 ? db.get(dAt + i) : 0f);
        }
        return into;
    }

    /**
     * One gemm per run on each operand's host memory, at the run's offset; a rank-2 product is one run (K = 1), which
     * leaves out ND4J's op set-up as well. The runs are the leading axes (none, [K] or [K1, K2]) at any strides, and
     * each run's matrix may have a leading dimension larger than its row (the transformer's heads, read and written in
     * place in the [B·T, ·] arrays). Other layouts (a last axis not of unit stride) and other types than float32 and
     * float64 go through ND4J's matmul.
     */
    @Override
    public void matmul(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        DataType dt = c.dataType();
        int rank = c.rank();
        int m = (int) c.size(rank - 2), n = (int) c.size(rank - 1);
        int inner = (int) (transA ? a.size(rank - 2) : a.size(rank - 1));
        if (!(dt == DataType.FLOAT || dt == DataType.DOUBLE)
                || rank > 4
                || !gemmable(a, dt, rank)
                || !gemmable(b, dt, rank)
                || !gemmable(c, dt, rank)
                || inner == 0) {
            Nd4j.matmul(a, b, c, transA, transB, false);
            return;
        }
        for (int i = 0; i < rank - 2; i++)
            if (a.size(i) != c.size(i) || b.size(i) != c.size(i))
                throw new IllegalArgumentException("matmul: shapes " + java.util.Arrays.toString(a.shape()) + ", "
                        + java.util.Arrays.toString(b.shape()) + " → " + java.util.Arrays.toString(c.shape()));
        if ((transA ? a.size(rank - 1) : a.size(rank - 2)) != m
                || (transB ? b.size(rank - 2) : b.size(rank - 1)) != n
                || (transB ? b.size(rank - 1) : b.size(rank - 2)) != inner)
            throw new IllegalArgumentException("matmul: shapes " + java.util.Arrays.toString(a.shape()) + ", "
                    + java.util.Arrays.toString(b.shape()) + " → " + java.util.Arrays.toString(c.shape()));
        int lda = ld(a), ldb = ld(b), ldc = ld(c);
        int k2 = rank == 4 ? (int) c.size(1) : 1, k = rank == 2 ? 1 : (int) c.size(0) * k2;
        long oa = HostMemory.offset(a), ob = HostMemory.offset(b), oc = HostMemory.offset(c);
        int ta = transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                tb = transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        // pointers at element 0 of each NIO view, the origin of HostMemory.offset (JavaCPP's pointer of a buffer
        // whose position is not 0 is not at that position)
        if (dt == DataType.FLOAT) {
            FloatPointer pa = new FloatPointer(a.data().asNioFloat().clear()),
                    pb = new FloatPointer(b.data().asNioFloat().clear()),
                    pc = new FloatPointer(c.data().asNioFloat().clear());
            for (int r = 0; r < k; r++) {
                pa.position(oa + run(a, r, k2));
                pb.position(ob + run(b, r, k2));
                pc.position(oc + run(c, r, k2));
                openblas_nolapack.cblas_sgemm(
                        openblas_nolapack.CblasRowMajor, ta, tb, m, n, inner, 1f, pa, lda, pb, ldb, 0f, pc, ldc);
            }
        } else {
            DoublePointer pa = new DoublePointer(a.data().asNioDouble().clear()),
                    pb = new DoublePointer(b.data().asNioDouble().clear()),
                    pc = new DoublePointer(c.data().asNioDouble().clear());
            for (int r = 0; r < k; r++) {
                pa.position(oa + run(a, r, k2));
                pb.position(ob + run(b, r, k2));
                pc.position(oc + run(c, r, k2));
                openblas_nolapack.cblas_dgemm(
                        openblas_nolapack.CblasRowMajor, ta, tb, m, n, inner, 1.0, pa, lda, pb, ldb, 0.0, pc, ldc);
            }
        }
    }

    /** An array of this rank and type whose matrices have unit-stride rows (any leading dimension and run strides). */
    private static boolean gemmable(INDArray x, DataType dt, int rank) {
        return x.rank() == rank
                && x.dataType() == dt
                && (x.stride(rank - 1) == 1 || x.size(rank - 1) == 1)
                && (x.stride(rank - 2) >= x.size(rank - 1) || x.size(rank - 2) == 1);
    }

    /** The row stride of x's matrices, as BLAS's leading dimension (at least the row's length). */
    private static int ld(INDArray x) {
        int r = x.rank();
        return (int) (x.size(r - 2) == 1 ? x.size(r - 1) : x.stride(r - 2));
    }

    /** Element offset of run r's matrix from x's first element; k2 runs along the second axis of a rank-4 array. */
    private static long run(INDArray x, int r, int k2) {
        int rank = x.rank();
        if (rank == 2) return 0;
        if (rank == 3) return r * x.stride(0);
        return (r / k2) * x.stride(0) + (r % k2) * x.stride(1);
    }

    @Override
    public void addRows(INDArray z, INDArray rows) {
        DataType dt = z.dataType();
        requireContiguous("addRows", dt, z, rows);
        int k = (int) z.size(0), batch = (int) z.size(1), n = (int) z.size(2);
        requireRows("addRows", k, n, rows);
        if (dt == DataType.FLOAT && Simd.ENABLED) {
            HostArray zh = HostArray.of(z), bh = HostArray.of(rows);
            for (int r = 0; r < k; r++)
                Simd.addToRows(zh.bytes(), zh.base() + r * batch * n, batch, bh.bytes(), bh.base() + r * n, n);
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
                Simd.add(
                        ah.bytes(),
                        ah.base() + at,
                        bh.bytes(),
                        bh.base() + at,
                        oh.bytes(),
                        oh.base() + at,
                        Math.min(HostArray.BLOCK, n - at));
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
        if (!TrainingMemory.backpropsFromOutput(fn))
            throw new IllegalArgumentException("backpropFromOutput: sigmoid or tanh, not " + fn);
        requireContiguous("backpropFromOutput", a.dataType(), a, dy, into);
        if (dy.length() != a.length() || into.length() != a.length() || z.length() != a.length())
            throw new IllegalArgumentException("backpropFromOutput: z, a, dy and into must have one length");
        boolean tanh = fn == Activation.TANH;
        int n = (int) a.length(),
                aAt = HostMemory.offset(a),
                dAt = HostMemory.offset(dy),
                oAt = HostMemory.offset(into);
        if (a.dataType() == DataType.DOUBLE) {
            DoubleBuffer ab = a.data().asNioDouble(),
                    db = dy.data().asNioDouble(),
                    ob = into.data().asNioDouble();
            for (int i = 0; i < n; i++) {
                double v = ab.get(aAt + i);
                ob.put(oAt + i, db.get(dAt + i) * (tanh ? 1 - v * v : v * (1 - v)));
            }
        } else if (Simd.ENABLED) {
            HostArray ah = HostArray.of(a), dh = HostArray.of(dy), oh = HostArray.of(into);
            for (int at = 0; at < n; at += HostArray.BLOCK)
                Simd.backpropFromOutput(
                        ah.bytes(),
                        ah.base() + at,
                        dh.bytes(),
                        dh.base() + at,
                        oh.bytes(),
                        oh.base() + at,
                        Math.min(HostArray.BLOCK, n - at),
                        tanh);
        } else {
            FloatBuffer ab = a.data().asNioFloat(),
                    db = dy.data().asNioFloat(),
                    ob = into.data().asNioFloat();
            for (int i = 0; i < n; i++) {
                float v = ab.get(aAt + i);
                ob.put(oAt + i, db.get(dAt + i) * (tanh ? 1f - v * v : v * (1f - v)));
            }
        }
        return into;
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
            for (int r = 0; r < k; r++)
                Simd.sumRows(dh.bytes(), dh.base() + r * batch * n, batch, n, ih.bytes(), ih.base() + r * n);
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

    /**
     * Two passes over host memory (centre and reduce each row; scale and shift it) around ND4J's own (σ² + eps)^-½ of
     * the K·batch row variances: two small ops, kept because libm's float32 pow, which ND4J calls, rounds a few
     * values in a thousand differently from Java's. float32 without the SIMD loops runs the ND4J ops themselves.
     */
    @Override
    public void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b) {
        DataType dt = x.dataType();
        if (dt == DataType.FLOAT && !Simd.ENABLED) {
            PortableMemory.layerNormForwardOps(x, gamma, beta, eps, b);
            return;
        }
        requireContiguous("layerNormForward", dt, x, gamma, beta, b.xhat, b.y, b.inv);
        int k = (int) x.size(0), rows = (int) (x.size(0) * x.size(1)), n = (int) x.size(2), batch = rows / k;
        requireRows("layerNormForward", k, n, gamma, beta);
        if (dt == DataType.DOUBLE) {
            DoubleBuffer xb = x.data().asNioDouble(),
                    hb = b.xhat.data().asNioDouble(),
                    vb = b.inv.data().asNioDouble();
            int xo = HostMemory.offset(x), ho = HostMemory.offset(b.xhat), vo = HostMemory.offset(b.inv);
            for (int r = 0; r < rows; r++) {
                double s = 0, q = 0;
                for (int j = 0; j < n; j++) s += xb.get(xo + r * n + j);
                double mu = s / n;
                for (int j = 0; j < n; j++) {
                    double c = xb.get(xo + r * n + j) - mu;
                    hb.put(ho + r * n + j, c);
                    q += c * c;
                }
                vb.put(vo + r, q / n);
            }
        } else {
            HostArray xh = HostArray.of(x), hh = HostArray.of(b.xhat), vh = HostArray.of(b.inv);
            Simd.layerNormCentre(xh.bytes(), xh.base(), hh.bytes(), hh.base(), vh.bytes(), vh.base(), rows, n);
        }
        Transforms.pow(b.inv.addi(eps), -0.5, false);
        if (dt == DataType.DOUBLE) {
            DoubleBuffer hb = b.xhat.data().asNioDouble(),
                    vb = b.inv.data().asNioDouble(),
                    gb = gamma.data().asNioDouble(),
                    bb = beta.data().asNioDouble(),
                    yb = b.y.data().asNioDouble();
            int ho = HostMemory.offset(b.xhat),
                    vo = HostMemory.offset(b.inv),
                    go = HostMemory.offset(gamma),
                    bo = HostMemory.offset(beta),
                    yo = HostMemory.offset(b.y);
            for (int r = 0; r < rows; r++) {
                double f = vb.get(vo + r);
                int run = r / batch * n;
                for (int j = 0; j < n; j++) {
                    double h = hb.get(ho + r * n + j) * f;
                    hb.put(ho + r * n + j, h);
                    yb.put(yo + r * n + j, h * gb.get(go + run + j) + bb.get(bo + run + j));
                }
            }
            return;
        }
        HostArray hh = HostArray.of(b.xhat),
                vh = HostArray.of(b.inv),
                gh = HostArray.of(gamma),
                bh = HostArray.of(beta),
                yh = HostArray.of(b.y);
        for (int r = 0; r < k; r++)
            Simd.layerNormScale(
                    hh.bytes(),
                    hh.base() + r * batch * n,
                    vh.bytes(),
                    vh.base() + r * batch,
                    gh.bytes(),
                    gh.base() + r * n,
                    bh.bytes(),
                    bh.base() + r * n,
                    yh.bytes(),
                    yh.base() + r * batch * n,
                    batch,
                    n);
    }

    /** One pass over each run's rows: the batch sums, d, its two row means and ∂L/∂x. */
    @Override
    public INDArray layerNormBackward(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b) {
        DataType dt = dy.dataType();
        if (dt == DataType.FLOAT && !Simd.ENABLED)
            return PortableMemory.layerNormBackwardOps(dy, gamma, dGamma, dBeta, b);
        requireContiguous("layerNormBackward", dt, dy, gamma, dGamma, dBeta, b.xhat, b.inv, b.dx);
        int k = (int) dy.size(0), batch = (int) dy.size(1), n = (int) dy.size(2);
        requireRows("layerNormBackward", k, n, gamma, dGamma, dBeta);
        if (dt == DataType.FLOAT) {
            HostArray eh = HostArray.of(dy),
                    hh = HostArray.of(b.xhat),
                    vh = HostArray.of(b.inv),
                    gh = HostArray.of(gamma),
                    dgh = HostArray.of(dGamma),
                    dbh = HostArray.of(dBeta),
                    xh = HostArray.of(b.dx);
            for (int r = 0; r < k; r++)
                Simd.layerNormBackward(
                        eh.bytes(),
                        eh.base() + r * batch * n,
                        hh.bytes(),
                        hh.base() + r * batch * n,
                        vh.bytes(),
                        vh.base() + r * batch,
                        gh.bytes(),
                        gh.base() + r * n,
                        dgh.bytes(),
                        dgh.base() + r * n,
                        dbh.bytes(),
                        dbh.base() + r * n,
                        xh.bytes(),
                        xh.base() + r * batch * n,
                        batch,
                        n);
            return b.dx;
        }
        DoubleBuffer eb = dy.data().asNioDouble(),
                hb = b.xhat.data().asNioDouble(),
                vb = b.inv.data().asNioDouble(),
                gb = gamma.data().asNioDouble(),
                dgb = dGamma.data().asNioDouble(),
                dbb = dBeta.data().asNioDouble(),
                xb = b.dx.data().asNioDouble();
        int eo = HostMemory.offset(dy),
                ho = HostMemory.offset(b.xhat),
                vo = HostMemory.offset(b.inv),
                go = HostMemory.offset(gamma),
                dgo = HostMemory.offset(dGamma),
                dbo = HostMemory.offset(dBeta),
                xo = HostMemory.offset(b.dx);
        for (int run = 0; run < k; run++) {
            int p = run * n;
            for (int j = 0; j < n; j++) {
                dgb.put(dgo + p + j, 0.0);
                dbb.put(dbo + p + j, 0.0);
            }
            for (int r = run * batch; r < (run + 1) * batch; r++) {
                double m1 = 0, m2 = 0;
                for (int j = 0; j < n; j++) {
                    double e = eb.get(eo + r * n + j), h = hb.get(ho + r * n + j), d = e * gb.get(go + p + j);
                    dgb.put(dgo + p + j, dgb.get(dgo + p + j) + e * h);
                    dbb.put(dbo + p + j, dbb.get(dbo + p + j) + e);
                    xb.put(xo + r * n + j, d);
                    m1 += d;
                    m2 += d * h;
                }
                double a = m1 / n, c = m2 / n, f = vb.get(vo + r);
                for (int j = 0; j < n; j++)
                    xb.put(xo + r * n + j, (xb.get(xo + r * n + j) - a - hb.get(ho + r * n + j) * c) * f);
            }
        }
        return b.dx;
    }

    /** Per-run rows of a layer norm's n units: K·n elements each. */
    private static void requireRows(String op, int k, int n, INDArray... rows) {
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

    private static void requireContiguous(String op, DataType dt, INDArray... arrays) {
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE)
            throw new IllegalArgumentException(op + ": float32 or float64 only, not " + dt);
        for (INDArray x : arrays)
            if (x != null && (x.dataType() != dt || !HostArray.isContiguous(x)))
                throw new IllegalArgumentException(op + ": contiguous arrays of one data type only");
    }
}
