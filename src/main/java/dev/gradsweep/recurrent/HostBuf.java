package dev.gradsweep.recurrent;

import dev.gradsweep.hostmem.HostMemory;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk reads and writes of a contiguous row-major ND4J array's host memory as double, so the gate arithmetic runs
 * in Java loops without a native call per element. Float32 values are widened on read and rounded on write. Only
 * on the CPU backend, where host memory is the array: elsewhere these reads would see stale copies, so it refuses.
 */
final class HostBuf {
    final INDArray array;
    final boolean isFloat;
    private final DoubleBuffer d;
    private final FloatBuffer f;
    private final int base;
    private float[] tmp = new float[0];

    HostBuf(INDArray a) {
        if (!org.nd4j.linalg.factory.Nd4j.getEnvironment().isCPU())
            throw new IllegalStateException("the recurrent engine's gate loops read host memory: CPU backend only");
        if (a.ordering() != 'c' || a.elementWiseStride() != 1)
            throw new IllegalArgumentException("needs a contiguous row-major array");
        this.array = a;
        this.base = HostMemory.offset(a);
        this.isFloat = a.dataType() == DataType.FLOAT;
        if (isFloat) {
            f = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            d = null;
        } else if (a.dataType() == DataType.DOUBLE) {
            d = a.data().asNioDouble();
            f = null;
        } else throw new IllegalArgumentException("float32 or float64 only, not " + a.dataType());
    }

    void get(int from, int n, double[] dst, int dstOff) {
        if (d != null) {
            d.get(base + from, dst, dstOff, n);
            return;
        }
        if (tmp.length < n) tmp = new float[n];
        f.get(base + from, tmp, 0, n);
        for (int i = 0; i < n; i++) dst[dstOff + i] = tmp[i];
    }

    void put(int from, int n, double[] src, int srcOff) {
        if (d != null) {
            d.put(base + from, src, srcOff, n);
            return;
        }
        if (tmp.length < n) tmp = new float[n];
        for (int i = 0; i < n; i++) tmp[i] = (float) src[srcOff + i];
        f.put(base + from, tmp, 0, n);
    }

    void fill(int from, int n, double v) {
        for (int i = 0; i < n; i++) {
            if (d != null) d.put(base + from + i, v);
            else f.put(base + from + i, (float) v);
        }
    }

    /** Rounds values to what this array stores (float32 or unchanged), so statistics see the stored numbers. */
    void round(double[] v, int n) {
        if (isFloat) for (int i = 0; i < n; i++) v[i] = (float) v[i];
    }
}
