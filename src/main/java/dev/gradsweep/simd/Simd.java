package dev.gradsweep.simd;

import dev.gradsweep.config.RuntimeOptions;

/**
 * Whether the statistics use the SIMD loops of {@link FloatBlocks} (and the training passes those of the other
 * *Blocks classes), and the entry points to them, each float32 array a {@link Floats}. They need the JVM
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
    public static void gradient(Floats g, int n, double[] acc) {
        FloatBlocks.gradient(g, n, acc);
    }

    /** See {@link TrainBlocks#step}. Only when {@link #ENABLED}. */
    public static void step(Floats p, Floats u, int n, double[] acc) {
        TrainBlocks.step(p, u, n, acc);
    }

    /** See {@link TrainBlocks#scale}. Only when {@link #ENABLED}. */
    public static void scale(Floats x, float f, Floats p, int n) {
        TrainBlocks.scale(x, f, p, n);
    }

    /** See {@link TrainBlocks#biasRelu}. Only when {@link #ENABLED}. */
    public static void biasRelu(Floats z, Floats b, Floats a, int n) {
        TrainBlocks.biasRelu(z, b, a, n);
    }

    /** See {@link TrainBlocks#relu}. Only when {@link #ENABLED}. */
    public static void relu(Floats z, Floats a, int n) {
        TrainBlocks.relu(z, a, n);
    }

    /** See {@link TrainBlocks#reluBackprop}. Only when {@link #ENABLED}. */
    public static void reluBackprop(Floats z, Floats dy, Floats into, int n) {
        TrainBlocks.reluBackprop(z, dy, into, n);
    }

    /** See {@link TrainBlocks#add}. Only when {@link #ENABLED}. */
    public static void add(Floats a, Floats b, Floats out, int n) {
        TrainBlocks.add(a, b, out, n);
    }

    /** See {@link TrainBlocks#addToRows}. Only when {@link #ENABLED}. */
    public static void addToRows(Floats z, int rows, Floats b, int n) {
        TrainBlocks.addToRows(z, rows, b, n);
    }

    /** See {@link TrainBlocks#backpropFromOutput}. Only when {@link #ENABLED}. */
    public static void backpropFromOutput(Floats a, Floats dy, Floats into, int n, boolean tanh) {
        TrainBlocks.backpropFromOutput(a, dy, into, n, tanh);
    }

    /** See {@link TrainBlocks#sumRows}. Only when {@link #ENABLED}. */
    public static void sumRows(Floats x, int rows, int n, Floats into) {
        TrainBlocks.sumRows(x, rows, n, into);
    }

    /** See {@link LayerNormBlocks#centre}. Only when {@link #ENABLED}. */
    public static void layerNormCentre(Floats x, Floats xhat, Floats var, int rows, int n) {
        LayerNormBlocks.centre(x, xhat, var, rows, n);
    }

    /** See {@link LayerNormBlocks#scale}. Only when {@link #ENABLED}. */
    public static void layerNormScale(Floats xhat, Floats inv, Floats gamma, Floats beta, Floats y, int rows, int n) {
        LayerNormBlocks.scale(xhat, inv, gamma, beta, y, rows, n);
    }

    /** See {@link LayerNormBlocks#backward}. Only when {@link #ENABLED}. */
    public static void layerNormBackward(
            Floats dy, Floats xhat, Floats inv, Floats gamma, Floats dGamma, Floats dBeta, Floats dx, int rows, int n) {
        LayerNormBlocks.backward(dy, xhat, inv, gamma, dGamma, dBeta, dx, rows, n);
    }

    /** See {@link FloatBlocks#allZero}. Only when {@link #ENABLED}. */
    public static boolean allZero(Floats x, int n) {
        return FloatBlocks.allZero(x, n);
    }

    /** See {@link FloatBlocks#clearLiveUnits}. Only when {@link #ENABLED}. */
    public static void clearLiveUnits(Floats x, int rows, int units, boolean[] allZero, int[] seen) {
        FloatBlocks.clearLiveUnits(x, rows, units, allZero, seen);
    }

    /** See {@link FloatBlocks#sumSq}. Only when {@link #ENABLED}. */
    public static double sumSq(Floats x, int n) {
        return FloatBlocks.sumSq(x, n);
    }

    /** See {@link AttentionBlocks#softmax}. Only when {@link #ENABLED}. */
    public static void softmax(
            Floats s, Floats a, int rows, int n, float scale, boolean causal, double[] max, double[] ent) {
        AttentionBlocks.softmax(s, a, rows, n, scale, causal, max, ent);
    }

    /** See {@link AttentionBlocks#softmaxBackward}. Only when {@link #ENABLED}. */
    public static void softmaxBackward(Floats a, Floats da, int rows, int n, float scale) {
        AttentionBlocks.softmaxBackward(a, da, rows, n, scale);
    }

    /** See {@link AttentionBlocks#unitRowSums}. Only when {@link #ENABLED}. */
    public static void unitRowSums(Floats y, int groups, int rows, int w, double[] into, float[] acc) {
        AttentionBlocks.unitRowSums(y, groups, rows, w, into, acc);
    }

    /** See {@link NormBlocks#forward}. Only when {@link #ENABLED}. */
    public static void rowNorm(
            Floats x,
            Floats g,
            Floats b,
            boolean centre,
            float eps,
            Floats xhat,
            Floats inv,
            Floats y,
            int rows,
            int n) {
        NormBlocks.forward(x, g, b, centre, eps, xhat, inv, y, rows, n);
    }

    /** See {@link NormBlocks#backward}. Only when {@link #ENABLED}. */
    public static void rowNormBackward(
            Floats dy,
            Floats g,
            Floats xhat,
            Floats inv,
            Floats res,
            Floats dx,
            float[] dg,
            float[] db,
            int rows,
            int n) {
        NormBlocks.backward(dy, g, xhat, inv, res, dx, dg, db, rows, n);
    }

    /**
     * How a layer's activation output is reduced: unsaturated while |a − mid| < half (when {@code saturation}), and
     * f'(z) from a as {@code slope}: {@link #SLOPE_STEP} (1 for a > 0, else c0) or {@link #SLOPE_QUADRATIC}
     * (c0 + c1·a + c2·a²).
     */
    public record Form(double mid, double half, boolean saturation, int slope, double c0, double c1, double c2) {}

    /** See {@link FloatBlocks#activations}. Only when {@link #ENABLED}. */
    public static long activations(Floats x, int len, Form form, double[] acc) {
        return FloatBlocks.activations(x, len, form, acc);
    }
}
