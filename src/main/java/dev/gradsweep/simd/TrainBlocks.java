package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD loops of the host-direct training step over float32 values in host memory ({@code stats.HostDirectMemory}
 * and {@code stats.HostActivations}; their scalar loops are the fallback): the parameter step with its sums of
 * squares, the update's scaling, bias adds and column sums, ReLU and the activations' backward, each writing the
 * float32 values of the ND4J op it replaces (each kernel says which). Only touch this class when {@link Simd#ENABLED}
 * is true.
 */
final class TrainBlocks {
    private static final VectorSpecies<Double> D = FloatBlocks.D;
    private static final VectorSpecies<Float> F = FloatBlocks.F;
    private static final int LANES = FloatBlocks.LANES;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private TrainBlocks() {}

    /**
     * The parameter step p[i] ← p[i] − u[i] for i in [0, n) (float32 subtraction, as ND4J's), adding Σu² to acc[0]
     * and Σ of the new p² to acc[1].
     */
    static void step(Floats p, Floats u, int n, double[] acc) {
        ByteBuffer pb = p.bytes(), ub = u.bytes();
        int pAt = p.at(), uAt = u.at();
        DoubleVector u2 = DoubleVector.zero(D), p2 = u2;
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fu = FloatVector.fromByteBuffer(F, ub, (uAt + i) << 2, NATIVE);
            FloatVector fp =
                    FloatVector.fromByteBuffer(F, pb, (pAt + i) << 2, NATIVE).sub(fu);
            fp.intoByteBuffer(pb, (pAt + i) << 2, NATIVE);
            DoubleVector du = (DoubleVector) fu.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector dp = (DoubleVector) fp.convertShape(VectorOperators.F2D, D, 0);
            u2 = du.fma(du, u2);
            p2 = dp.fma(dp, p2);
        }
        double su = u2.reduceLanes(VectorOperators.ADD), sp = p2.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float uv = ub.getFloat((uAt + i) << 2), np = pb.getFloat((pAt + i) << 2) - uv;
            pb.putFloat((pAt + i) << 2, np);
            su += (double) uv * uv;
            sp += (double) np * np;
        }
        acc[0] += su;
        acc[1] += sp;
    }

    /**
     * x[i] ← x[i] · f for i in [0, n) and, with {@code p} non-null, then p[i] ← p[i] − x[i]: float32 products and
     * differences, as ND4J's {@code muli} and {@code subi} compute them.
     */
    static void scale(Floats x, float f, Floats p, int n) {
        ByteBuffer xb = x.bytes(), pb = p == null ? null : p.bytes();
        int xAt = x.at(), pAt = p == null ? 0 : p.at();
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fx =
                    FloatVector.fromByteBuffer(F, xb, (xAt + i) << 2, NATIVE).mul(f);
            fx.intoByteBuffer(xb, (xAt + i) << 2, NATIVE);
            if (pb != null)
                FloatVector.fromByteBuffer(F, pb, (pAt + i) << 2, NATIVE)
                        .sub(fx)
                        .intoByteBuffer(pb, (pAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = xb.getFloat((xAt + i) << 2) * f;
            xb.putFloat((xAt + i) << 2, v);
            if (pb != null) pb.putFloat((pAt + i) << 2, pb.getFloat((pAt + i) << 2) - v);
        }
    }

    /**
     * z[i] ← z[i] + b[i], then a[i] ← relu of it, for i in [0, n): a float32 sum, as ND4J's broadcast add, and
     * DL4J's ReLU, which keeps every value not below zero as it is (−0 and NaN too) and writes +0 for the others.
     */
    static void biasRelu(Floats z, Floats b, Floats a, int n) {
        ByteBuffer zb = z.bytes(), bb = b.bytes(), ab = a.bytes();
        int zAt = z.at(), bAt = b.at(), aAt = a.at();
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(F, zb, (zAt + i) << 2, NATIVE)
                    .add(FloatVector.fromByteBuffer(F, bb, (bAt + i) << 2, NATIVE));
            v.intoByteBuffer(zb, (zAt + i) << 2, NATIVE);
            v.blend(zero, v.compare(VectorOperators.LT, 0f)).intoByteBuffer(ab, (aAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = zb.getFloat((zAt + i) << 2) + bb.getFloat((bAt + i) << 2);
            zb.putFloat((zAt + i) << 2, v);
            ab.putFloat((aAt + i) << 2, v < 0 ? 0f : v);
        }
    }

    /** a[i] ← z[i] below zero → 0, else z (NaN stays NaN: DL4J's ReLU), for i in [0, n). */
    static void relu(Floats z, Floats a, int n) {
        ByteBuffer zb = z.bytes(), ab = a.bytes();
        int zAt = z.at(), aAt = a.at();
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(F, zb, (zAt + i) << 2, NATIVE);
            v.blend(zero, v.compare(VectorOperators.LT, 0f)).intoByteBuffer(ab, (aAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = zb.getFloat((zAt + i) << 2);
            ab.putFloat((aAt + i) << 2, v < 0 ? 0f : v);
        }
    }

    /**
     * into[i] ← dy[i] where z[i] &gt; 0, else +0 (NaN is not above zero), for i in [0, n): DL4J's ReLU derivative;
     * {@code into} may be {@code z}.
     */
    static void reluBackprop(Floats z, Floats dy, Floats into, int n) {
        ByteBuffer zb = z.bytes(), db = dy.bytes(), ob = into.bytes();
        int zAt = z.at(), dAt = dy.at(), oAt = into.at();
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fz = FloatVector.fromByteBuffer(F, zb, (zAt + i) << 2, NATIVE);
            zero.blend(FloatVector.fromByteBuffer(F, db, (dAt + i) << 2, NATIVE), fz.compare(VectorOperators.GT, 0f))
                    .intoByteBuffer(ob, (oAt + i) << 2, NATIVE);
        }
        for (; i < n; i++)
            ob.putFloat((oAt + i) << 2, zb.getFloat((zAt + i) << 2) > 0 ? db.getFloat((dAt + i) << 2) : 0f);
    }

    /** out[i] ← a[i] + b[i] for i in [0, n), one float32 add each; {@code out} may be a or b. */
    static void add(Floats a, Floats b, Floats out, int n) {
        add(a.bytes(), a.at(), b.bytes(), b.at(), out.bytes(), out.at(), n);
    }

    private static void add(ByteBuffer a, int aAt, ByteBuffer b, int bAt, ByteBuffer out, int oAt, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES)
            FloatVector.fromByteBuffer(F, a, (aAt + i) << 2, NATIVE)
                    .add(FloatVector.fromByteBuffer(F, b, (bAt + i) << 2, NATIVE))
                    .intoByteBuffer(out, (oAt + i) << 2, NATIVE);
        for (; i < n; i++) out.putFloat((oAt + i) << 2, a.getFloat((aAt + i) << 2) + b.getFloat((bAt + i) << 2));
    }

    /**
     * z[q·n + j] ← z[q·n + j] + b[j] for q in [0, rows), j in [0, n): a run's bias row added to each of its rows,
     * one float32 add each (ND4J's broadcast add). Rows of up to two vectors are copied out and back in
     * bulk: a vector pass per row of 10 values costs more than the adds (measured: docs/performance.md).
     */
    static void addToRows(Floats z, int rows, Floats b, int n) {
        ByteBuffer zb = z.bytes(), bb = b.bytes();
        int zAt = z.at(), bAt = b.at();
        if (n > 2 * LANES) {
            for (int q = 0; q < rows; q++) add(zb, zAt + q * n, bb, bAt, zb, zAt + q * n, n);
            return;
        }
        int len = rows * n;
        float[] v = copy(z, len), tiled = new float[len];
        view(b).get(tiled, 0, n);
        for (int have = n; have < len; have *= 2) System.arraycopy(tiled, 0, tiled, have, Math.min(have, len - have));
        for (int i = 0; i < len; i++) v[i] += tiled[i]; // one flat loop, which the JIT vectorises
        view(z).put(v);
    }

    /** A float32 view of the values from x's first on. */
    private static FloatBuffer view(Floats x) {
        return x.bytes()
                .duplicate()
                .order(NATIVE)
                .position(x.at() << 2)
                .slice()
                .order(NATIVE)
                .asFloatBuffer();
    }

    /** x's first n values, copied in bulk. */
    private static float[] copy(Floats x, int n) {
        float[] v = new float[n];
        view(x).get(v);
        return v;
    }

    /**
     * into[i] ← ∂L/∂z from a = f(z) and dy = ∂L/∂a, for i in [0, n): the sigmoid's dy·(a·(1 − a)) or, with
     * {@code tanh}, dy·(1 − a·a), in that order of float32 operations (ND4J's sigmoid_bp and tanh_bp, which evaluate
     * f(z) again as the forward did); {@code into} may be {@code a} or {@code dy}.
     */
    static void backpropFromOutput(Floats a, Floats dy, Floats into, int n, boolean tanh) {
        ByteBuffer ab = a.bytes(), db = dy.bytes(), ob = into.bytes();
        int aAt = a.at(), dAt = dy.at(), oAt = into.at();
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromByteBuffer(F, ab, (aAt + i) << 2, NATIVE);
            FloatVector slope = tanh ? v.mul(v).neg().add(1f) : v.neg().add(1f).mul(v);
            FloatVector.fromByteBuffer(F, db, (dAt + i) << 2, NATIVE)
                    .mul(slope)
                    .intoByteBuffer(ob, (oAt + i) << 2, NATIVE);
        }
        for (; i < n; i++) {
            float v = ab.getFloat((aAt + i) << 2);
            ob.putFloat((oAt + i) << 2, db.getFloat((dAt + i) << 2) * (tanh ? 1f - v * v : v * (1f - v)));
        }
    }

    /**
     * into[j] ← Σ_r x[r·n + j] over rows [0, rows), for j in [0, n): column sums of a row-major block, each a float32
     * sum in row order from 0 (ND4J's reduction over the batch), the rows read in storage order. Rows of up to two
     * vectors are copied out in bulk and summed in Java arrays (see {@link #addToRows}).
     */
    static void sumRows(Floats x, int rows, int n, Floats into) {
        ByteBuffer xb = x.bytes(), ib = into.bytes();
        int xAt = x.at(), iAt = into.at();
        int bound = F.loopBound(n);
        if (n <= 2 * LANES) {
            float[] v = copy(x, rows * n), acc = new float[n];
            for (int r = 0, at = 0; r < rows; r++) for (int i = 0; i < n; i++) acc[i] += v[at++];
            view(into).put(acc);
            return;
        }
        for (int i = 0; i < n; i++) ib.putFloat((iAt + i) << 2, 0f);
        for (int r = 0; r < rows; r++) {
            int row = xAt + r * n, i = 0;
            for (; i < bound; i += LANES)
                FloatVector.fromByteBuffer(F, ib, (iAt + i) << 2, NATIVE)
                        .add(FloatVector.fromByteBuffer(F, xb, (row + i) << 2, NATIVE))
                        .intoByteBuffer(ib, (iAt + i) << 2, NATIVE);
            for (; i < n; i++) ib.putFloat((iAt + i) << 2, ib.getFloat((iAt + i) << 2) + xb.getFloat((row + i) << 2));
        }
    }
}
