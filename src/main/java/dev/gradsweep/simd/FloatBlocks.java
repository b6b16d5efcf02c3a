package dev.gradsweep.simd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD inner loops of the statistics over one block of float32 values (the scalar loops in {@code ParamStats} and
 * {@code ActStats} are the reference and the fallback). The values are loaded straight from the array's host memory
 * (ND4J's buffer as a native-order {@link ByteBuffer}, indexed in elements): copying each block into a Java array
 * first took as long as the reductions themselves. Every float is widened to double in a register before it is squared
 * or summed, so the sums accumulate in
 * double exactly like the scalar loops, only in a different order; maxima and counts are exact. A float vector and
 * a double vector of the same lane count are paired so that the widening is one instruction. Only touch this class
 * when {@link Simd#ENABLED} is true: it needs the incubator module {@code jdk.incubator.vector}.
 *
 * <p>Counts are kept in float lanes within a block: exact while a lane counts fewer than 2^24, i.e. for blocks of
 * fewer than 2^24 · lanes values ({@code HostArray.BLOCK} is far below).
 */
final class FloatBlocks {
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    static final int LANES = D.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int ABS_BITS = 0x7fffffff;

    private FloatBlocks() {}

    // Every widening is written out at its use, F2D with the constant species: C2 replaces it with one instruction
    // only where it sees the vector's exact class; a helper method compiled on its own (as a profile showed `wide`
    // was) falls back to the Java implementation, boxing the lanes through arrays.

    /**
     * Gradient values [0, n) of {@code g} into {@code acc}, indexed by {@link Simd}'s G_* constants.
     * Non-finite values are counted by a scalar rescan, only when the block's sum of squares is not finite: the
     * double square of a finite float is at most 1.2e77, so the sum is finite exactly when every value is.
     */
    static void gradient(Floats g, int n, double[] acc) {
        ByteBuffer gb = g.bytes();
        int at = g.at();
        DoubleVector s2 = DoubleVector.zero(D), sa = s2, s = s2;
        FloatVector mx = FloatVector.zero(F), zc = mx, one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            FloatVector fg = FloatVector.fromByteBuffer(F, gb, (at + i) << 2, NATIVE);
            FloatVector fa = fg.abs();
            mx = mx.blend(fa, fa.compare(VectorOperators.GT, mx)); // NaN compares false: it never wins the max
            zc = zc.add(one, fg.compare(VectorOperators.EQ, 0f));
            DoubleVector dg = (DoubleVector) fg.convertShape(VectorOperators.F2D, D, 0);
            s2 = dg.fma(dg, s2);
            sa = sa.add(dg.abs());
            s = s.add(dg);
        }
        double sumSq = s2.reduceLanes(VectorOperators.ADD), sumAbs = sa.reduceLanes(VectorOperators.ADD);
        double sum = s.reduceLanes(VectorOperators.ADD);
        double max = Math.max(acc[Simd.G_MAX_ABS], mx.reduceLanes(VectorOperators.MAX));
        long zeros = (long) zc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double v = gb.getFloat((at + i) << 2), a = Math.abs(v);
            sumSq += v * v;
            sumAbs += a;
            sum += v;
            max = a > max ? a : max;
            zeros += v == 0.0 ? 1 : 0;
        }
        if (!Double.isFinite(sumSq))
            for (int j = 0; j < n; j++) acc[Simd.G_NONFINITE] += Float.isFinite(gb.getFloat((at + j) << 2)) ? 0 : 1;
        acc[Simd.G_SUM_SQ] += sumSq;
        acc[Simd.G_SUM_ABS] += sumAbs;
        acc[Simd.G_SUM] += sum;
        acc[Simd.G_MAX_ABS] = max;
        acc[Simd.G_ZEROS] += zeros;
    }

    /** True when values [0, n) of x are all exactly zero (−0 is zero, NaN is not); stops at the first nonzero. */
    static boolean allZero(Floats x, int n) {
        ByteBuffer xb = x.bytes();
        int at = x.at();
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES)
            if (FloatVector.fromByteBuffer(F, xb, (at + i) << 2, NATIVE)
                    .compare(VectorOperators.NE, 0f)
                    .anyTrue()) return false;
        for (; i < n; i++) if (xb.getFloat((at + i) << 2) != 0f) return false;
        return true;
    }

    /**
     * Dead units of a row-major block: clears allZero[u] for every unit u with a nonzero value (NaN is nonzero, −0
     * is not) in rows [0, rows) of the [rows × units] block x. A float is nonzero exactly when its
     * bits other than the sign are, so the rows' bits are OR-ed into {@code seen} (int per unit, zeroed by the
     * caller), row by row in storage order; every 8 rows it stops if every unit has been seen. Walking each unit's
     * column instead costs a cache line per value.
     */
    static void clearLiveUnits(Floats x, int rows, int units, boolean[] allZero, int[] seen) {
        ByteBuffer xb = x.bytes();
        int at = x.at();
        int bound = I.loopBound(units);
        for (int r = 0; r < rows; r++) {
            int row = at + r * units, u = 0;
            for (; u < bound; u += LANES)
                IntVector.fromArray(I, seen, u)
                        .or(IntVector.fromByteBuffer(I, xb, (row + u) << 2, NATIVE)
                                .and(ABS_BITS))
                        .intoArray(seen, u);
            for (; u < units; u++) seen[u] |= xb.getInt((row + u) << 2) & ABS_BITS;
            if ((r & 7) == 7 && allSeen(seen, units)) break;
        }
        for (int u = 0; u < units; u++) allZero[u] &= seen[u] == 0;
    }

    private static boolean allSeen(int[] seen, int units) {
        for (int u = 0; u < units; u++) if (seen[u] == 0) return false;
        return true;
    }

    /** Σ x² of values [0, n), in double. */
    static double sumSq(Floats x, int n) {
        ByteBuffer xb = x.bytes();
        int at = x.at();
        DoubleVector s2 = DoubleVector.zero(D);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += LANES) {
            DoubleVector d = (DoubleVector)
                    FloatVector.fromByteBuffer(F, xb, (at + i) << 2, NATIVE).convertShape(VectorOperators.F2D, D, 0);
            s2 = d.fma(d, s2);
        }
        double sum = s2.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            double v = xb.getFloat((at + i) << 2);
            sum += v * v;
        }
        return sum;
    }

    /**
     * Activation values [0, len) of x into {@code acc} (indexed by {@link Simd}'s A_* constants): Σx, Σx²,
     * exact zeros, values with |x − mid| ≥ half (saturated; NaN counts), and the slope f'(z) recovered from a = x:
     * a step (1 for x > 0, else c0) counts positives, a quadratic c0 + c1·x + c2·x² sums its square. Two loops over
     * the block (it stays in L1): the moments and positives always, the saturation band and the quadratic only for
     * forms that have them (a ReLU net's layers skip half the arithmetic).
     *
     * @return the number of exact zeros in the block
     */
    static long activations(Floats x, int len, Simd.Form f, double[] acc) {
        long zeros = moments(x, len, f, acc);
        if (f.saturation() || f.slope() == Simd.SLOPE_QUADRATIC) shape(x, len, f, acc);
        return zeros;
    }

    /** Σx, Σx², exact zeros and (for a step slope, from the count of x > 0) Σ slope² into acc; returns the zeros. */
    private static long moments(Floats x, int len, Simd.Form f, double[] acc) {
        ByteBuffer xb = x.bytes();
        int off = x.at();
        DoubleVector s = DoubleVector.zero(D), s2 = s;
        FloatVector zc = FloatVector.zero(F), pc = zc, one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += LANES) {
            FloatVector fx = FloatVector.fromByteBuffer(F, xb, (off + i) << 2, NATIVE);
            zc = zc.add(one, fx.compare(VectorOperators.EQ, 0f));
            pc = pc.add(one, fx.compare(VectorOperators.GT, 0f));
            DoubleVector dx = (DoubleVector) fx.convertShape(VectorOperators.F2D, D, 0);
            s = s.add(dx);
            s2 = dx.fma(dx, s2);
        }
        double sum = s.reduceLanes(VectorOperators.ADD), sumSq = s2.reduceLanes(VectorOperators.ADD);
        long zeros = (long) zc.reduceLanes(VectorOperators.ADD), positives = (long) pc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double v = xb.getFloat((off + i) << 2);
            sum += v;
            sumSq += v * v;
            zeros += v == 0.0 ? 1 : 0;
            positives += v > 0 ? 1 : 0;
        }
        acc[Simd.A_SUM] += sum;
        acc[Simd.A_SUM_SQ] += sumSq;
        acc[Simd.A_ZEROS] += zeros;
        if (f.slope() == Simd.SLOPE_STEP) acc[Simd.A_SLOPE_SQ] += positives + f.c0() * f.c0() * (len - positives);
        return zeros;
    }

    /** Saturated values (when the form has a band) and Σ slope² (when the slope is a quadratic) into acc. */
    private static void shape(Floats x, int len, Simd.Form f, double[] acc) {
        ByteBuffer xb = x.bytes();
        int off = x.at();
        boolean quadratic = f.slope() == Simd.SLOPE_QUADRATIC;
        double mid = f.mid(),
                half = f.half(),
                c0 = quadratic ? f.c0() : 0,
                c1 = quadratic ? f.c1() : 0,
                c2 = quadratic ? f.c2() : 0;
        DoubleVector d2 = DoubleVector.zero(D), inside = d2, oneD = DoubleVector.broadcast(D, 1);
        DoubleVector vmid = DoubleVector.broadcast(D, mid), vhalf = DoubleVector.broadcast(D, half);
        DoubleVector vc0 = DoubleVector.broadcast(D, c0),
                vc1 = DoubleVector.broadcast(D, c1),
                vc2 = DoubleVector.broadcast(D, c2);
        int i = 0;
        for (int bound = F.loopBound(len); i < bound; i += LANES) {
            DoubleVector dx = (DoubleVector)
                    FloatVector.fromByteBuffer(F, xb, (off + i) << 2, NATIVE).convertShape(VectorOperators.F2D, D, 0);
            // Both unconditionally (an unused result is dropped, a missing quadratic has zero coefficients): a vector
            // updated under a branch inside the loop was boxed by C2, several times slower.
            inside = inside.add(oneD, dx.sub(vmid).abs().compare(VectorOperators.LT, vhalf)); // NaN: not inside
            DoubleVector d = dx.fma(vc2, vc1).fma(dx, vc0);
            d2 = d.fma(d, d2);
        }
        long saturated = i - (long) inside.reduceLanes(VectorOperators.ADD);
        double slopeSq = d2.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            double v = xb.getFloat((off + i) << 2);
            saturated += Math.abs(v - mid) < half ? 0 : 1;
            double d = c0 + v * (c1 + c2 * v);
            slopeSq += d * d;
        }
        if (f.saturation()) acc[Simd.A_SATURATED] += saturated;
        if (quadratic) acc[Simd.A_SLOPE_SQ] += slopeSq;
    }
}
