package dev.gradsweep.hostmem;

import dev.gradsweep.simd.Floats;
import dev.gradsweep.simd.Simd;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads a contiguous ND4J array straight from its host memory, without an ND4J op: on the CPU backend this costs no
 * native call per element and no copy. Values come out as double, so reductions accumulate in double even for
 * float32 training (float32 squares of 1e-22 gradients underflow).
 */
public abstract class HostArray {
    public final int length;
    /** Rows of a rank-2 array (1 otherwise) and whether it is stored column-major, as DL4J's 'f' arrays are. */
    public final int rows;

    public final boolean columnMajor;

    protected HostArray(int length, int rows, boolean columnMajor) {
        this.length = length;
        this.rows = rows;
        this.columnMajor = columnMajor;
    }

    /** Element {@code i} in storage order. */
    public abstract double get(int i);

    /** Copies elements [from, from + len) in storage order into dst[0, len): a bulk copy, then a widening loop. */
    public abstract void read(int from, int len, double[] dst);

    /** True when the elements are float32, which the SIMD loops read in place through {@link #bytes()}. */
    public boolean isFloat() {
        return false;
    }

    /**
     * The float32 host memory as a native-order buffer: element {@code i} is at element index {@code base() + i}.
     * Writes go to the array itself where the host memory is the array (the CPU backend). Only when {@link #isFloat}.
     */
    public ByteBuffer bytes() {
        throw new UnsupportedOperationException("not a float32 array");
    }

    /** Element index of element 0 in {@link #bytes()}. */
    public int base() {
        throw new UnsupportedOperationException("not a float32 array");
    }

    /** The SIMD kernels' descriptor of the float32 values from element {@code i} on. Only when {@link #isFloat}. */
    public Floats floats(int i) {
        return new Floats(bytes(), base() + i);
    }

    /** Σ x² over elements [from, to), in double: the SIMD loop for float32, else the scalar one. */
    public double sumSq(int from, int to) {
        double sum = 0;
        if (Simd.ENABLED && isFloat()) {
            for (int at = from; at < to; at += BLOCK) sum += Simd.sumSq(floats(at), Math.min(BLOCK, to - at));
            return sum;
        }
        double[] v = DOUBLES.get();
        double a = 0, b = 0; // two lanes halve the add-latency chain
        for (int at = from; at < to; at += BLOCK) {
            int n = Math.min(BLOCK, to - at), i = 0;
            read(at, n, v);
            for (; i + 1 < n; i += 2) {
                a += v[i] * v[i];
                b += v[i + 1] * v[i + 1];
            }
            if (i < n) a += v[i] * v[i];
        }
        return a + b;
    }

    /**
     * Elements per block of the bulk loops: small enough to stay in L1/L2 cache, and to keep the SIMD loops' counts
     * (float lanes) exact.
     */
    public static final int BLOCK = 4096;

    private static final ThreadLocal<double[]> DOUBLES = ThreadLocal.withInitial(() -> new double[BLOCK]);

    /** Element (r, c) of a rank-2 array with {@code cols} columns, whatever its storage order. */
    public final double get(int r, int c, int cols) {
        return get(columnMajor ? c * rows + r : r * cols + c);
    }

    /** A reader over {@code a}; views are fine as long as their elements are contiguous. */
    public static HostArray of(INDArray a) {
        if (a.length() > Integer.MAX_VALUE)
            throw new IllegalArgumentException("array too large for a host view: " + a.length());
        if (!isContiguous(a)) a = a.dup('c'); // a fresh 'c' array is always contiguous
        DataBuffer buf = a.data();
        int base = HostMemory.offset(a);
        int n = (int) a.length();
        int rows = a.rank() == 2 ? (int) a.size(0) : 1;
        boolean colMajor = a.rank() == 2 && a.ordering() == 'f' && !a.isVector();
        if (a.dataType() == DataType.DOUBLE) {
            DoubleBuffer b = buf.asNioDouble();
            return new HostArray(n, rows, colMajor) {
                @Override
                public double get(int i) {
                    return b.get(base + i);
                }

                @Override
                public void read(int from, int len, double[] dst) {
                    b.get(base + from, dst, 0, len);
                }
            };
        }
        if (a.dataType() == DataType.FLOAT) {
            // One wrap of the native memory (a JNI call): the float view over it is plain Java. Same start as
            // asNioFloat().
            ByteBuffer bytes = buf.asNio().order(ByteOrder.nativeOrder());
            FloatBuffer b = bytes.asFloatBuffer();
            return new HostArray(n, rows, colMajor) {
                // Per reader, not a ThreadLocal: Spark and ND4J crowd the thread's map, and a lookup per row showed
                // up as a large share of the probe's profile samples.
                private float[] f = new float[0];

                @Override
                public double get(int i) {
                    return b.get(base + i);
                }

                @Override
                public void read(int from, int len, double[] dst) {
                    if (f.length < len) f = new float[Math.max(len, Math.min(BLOCK, length))];
                    b.get(base + from, f, 0, len);
                    for (int i = 0; i < len; i++) dst[i] = f[i];
                }

                @Override
                public boolean isFloat() {
                    return true;
                }

                @Override
                public ByteBuffer bytes() {
                    return bytes;
                }

                @Override
                public int base() {
                    return base;
                }
            };
        }
        return of(a.castTo(DataType.DOUBLE));
    }

    public static boolean isContiguous(INDArray a) {
        if (a.length() <= 1) return true;
        return a.elementWiseStride() == 1 && (a.rank() <= 2 || a.ordering() == 'c');
    }
}
