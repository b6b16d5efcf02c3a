package dev.gradsweep.grid;

import java.io.Serializable;

/** How one run trains: steps, batch, optimizer, learning rate, clipping, dtype. */
public final class TrainSpec implements Serializable {
    public enum Optimizer {
        SGD,
        MOMENTUM,
        ADAM
    }

    public enum DType {
        FLOAT32,
        FLOAT64
    }

    public final int steps;
    public final int batch;
    public final Optimizer optimizer;
    public final double lr;
    /** "none", "norm:<c>" (global L2 norm of the gradient) or "value:<c>" (element-wise). */
    public final String clip;

    public final DType dtype;
    /** Linear learning-rate warmup over this many steps (0 = none). */
    public final int warmup;
    /** Initial bias of highway transform gates T (negative: blocks start close to the identity). */
    public final double highwayGateBias;
    /** Initial bias of LSTM forget gates (the other gate biases start at 0). */
    public final double forgetBias;
    /**
     * Width multiplier of a transformer block's feed-forward sublayer (width → ffn·width → width). Not part of
     * {@link #canonical()}: a transformer run's id carries it ({@link RunConfig#canonical()}), other runs ignore it.
     */
    public final int ffn;
    /**
     * Stages of a conv net (channels width·2^s, stride 2 at each later stage's first unit) and group norm's G. Not part
     * of {@link #canonical()} either: a conv run's id carries them ({@link RunConfig#canonical()}).
     */
    public final int stages, groups;

    public static final double DEFAULT_HIGHWAY_GATE_BIAS = -2, DEFAULT_FORGET_BIAS = 1;
    public static final int DEFAULT_FFN = 4, DEFAULT_STAGES = 3, DEFAULT_GROUPS = 4;

    public TrainSpec(int steps, int batch, Optimizer optimizer, double lr, String clip, DType dtype) {
        this(steps, batch, optimizer, lr, clip, dtype, 0, DEFAULT_HIGHWAY_GATE_BIAS);
    }

    public TrainSpec(
            int steps,
            int batch,
            Optimizer optimizer,
            double lr,
            String clip,
            DType dtype,
            int warmup,
            double highwayGateBias) {
        this(
                steps,
                batch,
                optimizer,
                lr,
                clip,
                dtype,
                warmup,
                highwayGateBias,
                DEFAULT_FORGET_BIAS,
                DEFAULT_FFN,
                DEFAULT_STAGES,
                DEFAULT_GROUPS);
    }

    public TrainSpec(
            int steps,
            int batch,
            Optimizer optimizer,
            double lr,
            String clip,
            DType dtype,
            int warmup,
            double highwayGateBias,
            double forgetBias,
            int ffn,
            int stages,
            int groups) {
        this.steps = steps;
        this.batch = batch;
        this.optimizer = optimizer;
        this.lr = lr;
        this.clip = clip;
        this.dtype = dtype;
        this.warmup = warmup;
        this.highwayGateBias = highwayGateBias;
        this.forgetBias = forgetBias;
        this.ffn = ffn;
        this.stages = stages;
        this.groups = groups;
    }

    public TrainSpec with(Optimizer optimizer, double lr, int batch, String clip) {
        return new TrainSpec(
                steps, batch, optimizer, lr, clip, dtype, warmup, highwayGateBias, forgetBias, ffn, stages, groups);
    }

    public TrainSpec withForgetBias(double b) {
        return new TrainSpec(steps, batch, optimizer, lr, clip, dtype, warmup, highwayGateBias, b, ffn, stages, groups);
    }

    public TrainSpec withFfn(int f) {
        return new TrainSpec(
                steps, batch, optimizer, lr, clip, dtype, warmup, highwayGateBias, forgetBias, f, stages, groups);
    }

    public TrainSpec withConv(int s, int g) {
        return new TrainSpec(steps, batch, optimizer, lr, clip, dtype, warmup, highwayGateBias, forgetBias, ffn, s, g);
    }

    /** The learning rate used at {@code step} (0-based), warmup included. */
    public double lrAt(int step) {
        return warmupLr(lr, warmup, step);
    }

    /** Linear warmup: lr·(step+1)/warmup for the first {@code warmup} steps, then lr. */
    public static double warmupLr(double lr, int warmup, int step) {
        return step < warmup ? lr * (step + 1) / warmup : lr;
    }

    /** "none", "norm" or "value": the kind of a canonical clip rule. */
    public static String clipKind(String clip) {
        int colon = clip.indexOf(':');
        return colon < 0 ? clip : clip.substring(0, colon);
    }

    /** c of a canonical "norm:<c>" / "value:<c>" rule; 0 for "none". */
    public static double clipValue(String clip) {
        int colon = clip.indexOf(':');
        return colon < 0 ? 0 : Double.parseDouble(clip.substring(colon + 1));
    }

    /** Parses "none" / "norm:<c>" / "value:<c>" to canonical text, or null when invalid. */
    public static String parseClip(String s) {
        String t = s.trim().toLowerCase();
        if (t.equals("none")) return "none";
        int colon = t.indexOf(':');
        if (colon < 0) return null;
        String head = t.substring(0, colon);
        if (!head.equals("norm") && !head.equals("value")) return null;
        try {
            double c = Double.parseDouble(t.substring(colon + 1));
            return (c > 0 && Double.isFinite(c)) ? head + ":" + Canon.num(c) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public String canonical() {
        return "steps=" + steps + ",batch=" + batch + ",optimizer="
                + optimizer.name().toLowerCase() + ",lr="
                + Canon.num(lr) + ",clip=" + clip + ",dtype=" + dtype.name().toLowerCase()
                // only when set, so that the ids of configurations from before these options stay the same
                + (warmup > 0 ? ",warmup=" + warmup : "")
                + (highwayGateBias != DEFAULT_HIGHWAY_GATE_BIAS
                        ? ",highway_gate_bias=" + Canon.num(highwayGateBias)
                        : "")
                + (forgetBias != DEFAULT_FORGET_BIAS ? ",forget_bias=" + Canon.num(forgetBias) : "");
    }
}
