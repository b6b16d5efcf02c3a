package dev.gradsweep.stats;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.hostmem.HostMemory;
import dev.gradsweep.simd.Simd;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link HostDirectMemory}'s activation passes on host memory: a stack's bias and ReLU, and activation backprops. */
final class HostActivations {
    private HostActivations() {}

    static void biasRelu(INDArray z, INDArray rows, INDArray a) {
        HostDirectMemory.requireContiguous("biasRelu", z.dataType(), z, a, rows);
        if (rows == null) {
            relu(z, a);
            return;
        }
        int k = (int) z.size(0), units = (int) z.size(2), perRun = (int) (z.size(1) * units);
        if (rows.length() != (long) k * units)
            throw new IllegalArgumentException("biasRelu: one row of " + units + " per run");
        int zAt = HostMemory.offset(z), aAt = HostMemory.offset(a), bAt = HostMemory.offset(rows);
        if (z.dataType() == DataType.DOUBLE) {
            DoubleBuffer zb = z.data().asNioDouble(),
                    ab = a.data().asNioDouble(),
                    bb = rows.data().asNioDouble();
            for (int i = 0; i < k * perRun; i++) {
                double v = zb.get(zAt + i) + bb.get(bAt + i / perRun * units + i % units);
                zb.put(zAt + i, v);
                ab.put(aAt + i, v < 0 ? 0.0 : v);
            }
            return;
        }
        if (Simd.ENABLED) {
            HostArray zh = HostArray.of(z), ah = HostArray.of(a), bh = HostArray.of(rows);
            for (int i = 0; i < k * perRun; i += units)
                Simd.biasRelu(zh.floats(i), bh.floats(i / perRun * units), ah.floats(i), units);
            return;
        }
        FloatBuffer zb = z.data().asNioFloat(),
                ab = a.data().asNioFloat(),
                bb = rows.data().asNioFloat();
        for (int i = 0; i < k * perRun; i++) {
            float v = zb.get(zAt + i) + bb.get(bAt + i / perRun * units + i % units);
            zb.put(zAt + i, v);
            ab.put(aAt + i, v < 0 ? 0f : v);
        }
    }

    /** a ← DL4J's ReLU of z, elementwise (any shape, one length; NaN stays NaN). */
    private static void relu(INDArray z, INDArray a) {
        if (a.length() != z.length()) throw new IllegalArgumentException("relu: z and a must have one length");
        int n = (int) z.length(), zAt = HostMemory.offset(z), aAt = HostMemory.offset(a);
        if (z.dataType() == DataType.DOUBLE) {
            DoubleBuffer zb = z.data().asNioDouble(), ab = a.data().asNioDouble();
            for (int i = 0; i < n; i++) ab.put(aAt + i, zb.get(zAt + i) < 0 ? 0.0 : zb.get(zAt + i));
        } else if (Simd.ENABLED) {
            HostArray zh = HostArray.of(z), ah = HostArray.of(a);
            for (int at = 0; at < n; at += HostArray.BLOCK)
                Simd.relu(zh.floats(at), ah.floats(at), Math.min(HostArray.BLOCK, n - at));
        } else {
            FloatBuffer zb = z.data().asNioFloat(), ab = a.data().asNioFloat();
            for (int i = 0; i < n; i++) ab.put(aAt + i, zb.get(zAt + i) < 0 ? 0f : zb.get(zAt + i));
        }
    }

    static INDArray reluBackprop(INDArray z, INDArray dy, INDArray into) {
        HostDirectMemory.requireContiguous("reluBackprop", z.dataType(), z, dy, into);
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
                Simd.reluBackprop(zh.floats(at), dh.floats(at), oh.floats(at), Math.min(HostArray.BLOCK, n - at));
        } else {
            FloatBuffer zb = z.data().asNioFloat(),
                    db = dy.data().asNioFloat(),
                    ob = into.data().asNioFloat();
            for (int i = 0; i < n; i++) ob.put(oAt + i, zb.get(zAt + i) > 0 ? db.get(dAt + i) : 0f);
        }
        return into;
    }

    static INDArray backpropFromOutput(Activation fn, INDArray z, INDArray a, INDArray dy, INDArray into) {
        if (!TrainingMemory.backpropsFromOutput(fn))
            throw new IllegalArgumentException("backpropFromOutput: sigmoid or tanh, not " + fn);
        HostDirectMemory.requireContiguous("backpropFromOutput", a.dataType(), a, dy, into);
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
                        ah.floats(at), dh.floats(at), oh.floats(at), Math.min(HostArray.BLOCK, n - at), tanh);
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
}
