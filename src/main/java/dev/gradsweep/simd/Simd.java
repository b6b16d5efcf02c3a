package dev.gradsweep.simd;

import dev.gradsweep.config.RuntimeOptions;
import java.nio.ByteBuffer;

/**
 * Whether the statistics use the SIMD loops of {@link FloatBlocks}, and the entry points to them. They need the JVM
 * flag {@code --add-modules jdk.incubator.vector} (set by {@code bin/gradsweep}, the test runner and the jobs
 * scripts for executors); a JVM without it, or with {@code -Dgradsweep.simd=false}, uses the scalar loops, which
 * give the same statistics up to summation order. This class names no incubator type, so it loads anywhere.
 */
public final class Simd {
    /** System property that turns the SIMD loops off ({@code false}); on by default where the module is present. */
    public static final String PROPERTY = RuntimeOptions.SIMD.key();

    public static final boolean ENABLED = detect();

    /** Slots of the gradient accumulator array. */
    public static final int G_SUM_SQ = 0,
            G_SUM_ABS = 1,
            G_SUM = 2,
            G_MAX_ABS = 3,
            G_ZEROS = 4,
            G_NONFINITE = 5,
            G_SLOTS = 6;
    /** Slots of the activation accumulator array. */
    public static final int A_SUM = 0, A_SUM_SQ = 1, A_ZEROS = 2, A_SATURATED = 3, A_SLOPE_SQ = 4, A_SLOTS = 5;
    /** Forms of f'(z) as a function of a = f(z) that the SIMD loop evaluates. */
    public static final int SLOPE_NONE = 0, SLOPE_STEP = 1, SLOPE_QUADRATIC = 2;

    private Simd() {}

    private static boolean detect() {
        if (!RuntimeOptions.flag(RuntimeOptions.SIMD)) return false;
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
        try {
            return FloatBlocks.LANES >= 2; // a machine without vector registers gains nothing
        } catch (LinkageError e) {
            return false;
        }
    }

    /** A line for logs and bench output: which loops run, and how wide. */
    public static String describe() {
        return ENABLED
                ? "SIMD, " + FloatBlocks.LANES + " double lanes"
                : "scalar (no --add-modules jdk.incubator.vector, or -D" + PROPERTY + "=false)";
    }

    /** See {@link FloatBlocks#gradient}. Only when {@link #ENABLED}. */
    public static void gradient(ByteBuffer g, int at, int n, double[] acc) {
        FloatBlocks.gradient(g, at, n, acc);
    }

    /** See {@link FloatBlocks#step}. Only when {@link #ENABLED}. */
    public static void step(ByteBuffer p, int pAt, ByteBuffer u, int uAt, int n, double[] acc) {
        FloatBlocks.step(p, pAt, u, uAt, n, acc);
    }

    /** See {@link FloatBlocks#scale}. Only when {@link #ENABLED}. */
    public static void scale(ByteBuffer x, int xAt, float f, ByteBuffer p, int pAt, int n) {
        FloatBlocks.scale(x, xAt, f, p, pAt, n);
    }

    /** See {@link FloatBlocks#biasRelu}. Only when {@link #ENABLED}. */
    public static void biasRelu(ByteBuffer z, int zAt, ByteBuffer b, int bAt, ByteBuffer a, int aAt, int n) {
        FloatBlocks.biasRelu(z, zAt, b, bAt, a, aAt, n);
    }

    /** See {@link FloatBlocks#relu}. Only when {@link #ENABLED}. */
    public static void relu(ByteBuffer z, int zAt, ByteBuffer a, int aAt, int n) {
        FloatBlocks.relu(z, zAt, a, aAt, n);
    }

    /** See {@link FloatBlocks#reluBackprop}. Only when {@link #ENABLED}. */
    public static void reluBackprop(ByteBuffer z, int zAt, ByteBuffer dy, int dAt, ByteBuffer into, int oAt, int n) {
        FloatBlocks.reluBackprop(z, zAt, dy, dAt, into, oAt, n);
    }

    /** See {@link FloatBlocks#add}. Only when {@link #ENABLED}. */
    public static void add(ByteBuffer a, int aAt, ByteBuffer b, int bAt, ByteBuffer out, int oAt, int n) {
        FloatBlocks.add(a, aAt, b, bAt, out, oAt, n);
    }

    /** See {@link FloatBlocks#addToRows}. Only when {@link #ENABLED}. */
    public static void addToRows(ByteBuffer z, int zAt, int rows, ByteBuffer b, int bAt, int n) {
        FloatBlocks.addToRows(z, zAt, rows, b, bAt, n);
    }

    /** See {@link FloatBlocks#backpropFromOutput}. Only when {@link #ENABLED}. */
    public static void backpropFromOutput(
            ByteBuffer a, int aAt, ByteBuffer dy, int dAt, ByteBuffer into, int oAt, int n, boolean tanh) {
        FloatBlocks.backpropFromOutput(a, aAt, dy, dAt, into, oAt, n, tanh);
    }

    /** See {@link FloatBlocks#sumRows}. Only when {@link #ENABLED}. */
    public static void sumRows(ByteBuffer x, int xAt, int rows, int n, ByteBuffer into, int iAt) {
        FloatBlocks.sumRows(x, xAt, rows, n, into, iAt);
    }

    /** See {@link FloatBlocks#layerNormCentre}. Only when {@link #ENABLED}. */
    public static void layerNormCentre(
            ByteBuffer x, int xAt, ByteBuffer xhat, int hAt, ByteBuffer var, int vAt, int rows, int n) {
        FloatBlocks.layerNormCentre(x, xAt, xhat, hAt, var, vAt, rows, n);
    }

    /** See {@link FloatBlocks#layerNormScale}. Only when {@link #ENABLED}. */
    public static void layerNormScale(
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer gamma,
            int gAt,
            ByteBuffer beta,
            int bAt,
            ByteBuffer y,
            int yAt,
            int rows,
            int n) {
        FloatBlocks.layerNormScale(xhat, hAt, inv, iAt, gamma, gAt, beta, bAt, y, yAt, rows, n);
    }

    /** See {@link FloatBlocks#layerNormBackward}. Only when {@link #ENABLED}. */
    public static void layerNormBackward(
            ByteBuffer dy,
            int dAt,
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer gamma,
            int gAt,
            ByteBuffer dGamma,
            int dgAt,
            ByteBuffer dBeta,
            int dbAt,
            ByteBuffer dx,
            int xAt,
            int rows,
            int n) {
        FloatBlocks.layerNormBackward(
                dy, dAt, xhat, hAt, inv, iAt, gamma, gAt, dGamma, dgAt, dBeta, dbAt, dx, xAt, rows, n);
    }

    /** See {@link FloatBlocks#allZero}. Only when {@link #ENABLED}. */
    public static boolean allZero(ByteBuffer x, int at, int n) {
        return FloatBlocks.allZero(x, at, n);
    }

    /** See {@link FloatBlocks#clearLiveUnits}. Only when {@link #ENABLED}. */
    public static void clearLiveUnits(ByteBuffer x, int at, int rows, int units, boolean[] allZero, int[] seen) {
        FloatBlocks.clearLiveUnits(x, at, rows, units, allZero, seen);
    }

    /** See {@link FloatBlocks#sumSq}. Only when {@link #ENABLED}. */
    public static double sumSq(ByteBuffer x, int at, int n) {
        return FloatBlocks.sumSq(x, at, n);
    }

    /** See {@link AttentionBlocks#softmax}. Only when {@link #ENABLED}. */
    public static void softmax(
            ByteBuffer s,
            int sAt,
            ByteBuffer a,
            int aAt,
            int rows,
            int n,
            float scale,
            boolean causal,
            double[] max,
            double[] ent) {
        AttentionBlocks.softmax(s, sAt, a, aAt, rows, n, scale, causal, max, ent);
    }

    /** See {@link AttentionBlocks#softmaxBackward}. Only when {@link #ENABLED}. */
    public static void softmaxBackward(ByteBuffer a, int aAt, ByteBuffer da, int dAt, int rows, int n, float scale) {
        AttentionBlocks.softmaxBackward(a, aAt, da, dAt, rows, n, scale);
    }

    /** See {@link AttentionBlocks#unitRowSums}. Only when {@link #ENABLED}. */
    public static void unitRowSums(ByteBuffer y, int yAt, int groups, int rows, int w, double[] into, float[] acc) {
        AttentionBlocks.unitRowSums(y, yAt, groups, rows, w, into, acc);
    }

    /** See {@link NormBlocks#forward}. Only when {@link #ENABLED}. */
    public static void rowNorm(
            ByteBuffer x,
            int xAt,
            ByteBuffer g,
            int gAt,
            ByteBuffer b,
            int bAt,
            boolean centre,
            float eps,
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer y,
            int yAt,
            int rows,
            int n) {
        NormBlocks.forward(x, xAt, g, gAt, b, bAt, centre, eps, xhat, hAt, inv, iAt, y, yAt, rows, n);
    }

    /** See {@link NormBlocks#backward}. Only when {@link #ENABLED}. */
    public static void rowNormBackward(
            ByteBuffer dy,
            int dAt,
            ByteBuffer g,
            int gAt,
            ByteBuffer xhat,
            int hAt,
            ByteBuffer inv,
            int iAt,
            ByteBuffer res,
            int rAt,
            ByteBuffer dx,
            int xAt,
            float[] dg,
            float[] db,
            int rows,
            int n) {
        NormBlocks.backward(dy, dAt, g, gAt, xhat, hAt, inv, iAt, res, rAt, dx, xAt, dg, db, rows, n);
    }

    /**
     * How a layer's activation output is reduced: unsaturated while |a − mid| < half (when {@code saturation}), and
     * f'(z) from a as {@code slope}: {@link #SLOPE_STEP} (1 for a > 0, else c0) or {@link #SLOPE_QUADRATIC}
     * (c0 + c1·a + c2·a²).
     */
    public record Form(double mid, double half, boolean saturation, int slope, double c0, double c1, double c2) {}

    /** See {@link FloatBlocks#activations}. Only when {@link #ENABLED}. */
    public static long activations(ByteBuffer x, int off, int len, Form form, double[] acc) {
        return FloatBlocks.activations(x, off, len, form, acc);
    }
}
