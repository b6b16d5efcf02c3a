package dev.gradsweep.grid;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Activations a grid may name. {@code saturates} marks the squashing functions whose derivative goes to zero in
 * both tails (for act_saturated_frac); the derivative is recovered from the output a, so no pre-activation is kept.
 */
public enum Activation {
    SIGMOID("sigmoid"),
    TANH("tanh"),
    RELU("relu"),
    LEAKYRELU("leakyrelu"),
    ELU("elu"),
    SELU("selu"),
    GELU("gelu"),
    SWISH("swish"),
    MISH("mish"),
    SOFTSIGN("softsign"),
    SOFTPLUS("softplus"),
    HARDSIGMOID("hardsigmoid"),
    HARDTANH("hardtanh"),
    RELU6("relu6"),
    IDENTITY("identity");

    public final String key;

    Activation(String key) {
        this.key = key;
    }

    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.key.equals(s)) return a;
        }
        return null;
    }

    public static String allowed() {
        return Arrays.stream(values()).map(a -> a.key).collect(Collectors.joining(", "));
    }

    /** max |f'| of the saturating functions (the reference of act_saturated_frac); NaN for the others. */
    public double maxDerivative() {
        switch (this) {
            case SIGMOID:
                return 0.25;
            case TANH:
            case SOFTSIGN:
            case HARDTANH:
                return 1;
            case HARDSIGMOID:
                return 0.2;
            default:
                return Double.NaN;
        }
    }

    /**
     * The open interval of outputs a = f(z) that are not saturated, equivalent to
     * {@code abs(derivativeFromOutput(a)) >= threshold * maxDerivative()} (up to the interval's end points): lets the hot loop test
     * saturation with two comparisons.
     */
    public double[] unsaturatedOutputs(double threshold) {
        switch (this) {
            case SIGMOID: {
                double t = (1 - Math.sqrt(1 - threshold)) / 2;
                return new double[] {t, 1 - t};
            }
            case TANH: {
                double t = Math.sqrt(1 - threshold);
                return new double[] {-t, t};
            }
            case SOFTSIGN: {
                double t = 1 - Math.sqrt(threshold);
                return new double[] {-t, t};
            }
            case HARDSIGMOID:
                return new double[] {0, 1};
            case HARDTANH:
                return new double[] {-1, 1};
            default:
                return new double[] {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
        }
    }

    /**
     * f'(z) expressed through a = f(z) with DL4J's constants (leakyrelu 0.01, elu 1, hardsigmoid slope 0.2); NaN
     * where the output does not determine it (gelu, swish, mish).
     */
    public double derivativeFromOutput(double a) {
        switch (this) {
            case SIGMOID:
                return a * (1 - a);
            case TANH:
                return 1 - a * a;
            case RELU:
                return a > 0 ? 1 : 0;
            case LEAKYRELU:
                return a > 0 ? 1 : 0.01;
            case ELU:
                return a > 0 ? 1 : a + 1;
            case SELU:
                return a > 0 ? SELU_LAMBDA : a + SELU_LAMBDA * SELU_ALPHA;
            case SOFTSIGN: {
                double t = 1 - Math.abs(a);
                return t * t;
            }
            case SOFTPLUS:
                return -Math.expm1(-a);
            case HARDSIGMOID:
                return (a <= 0 || a >= 1) ? 0 : 0.2;
            case HARDTANH:
                return (a <= -1 || a >= 1) ? 0 : 1;
            case RELU6:
                return (a <= 0 || a >= 6) ? 0 : 1;
            case IDENTITY:
                return 1;
            default:
                return Double.NaN;
        }
    }

    public static final double SELU_LAMBDA = 1.0507009873554805, SELU_ALPHA = 1.6732632423543772;

    public boolean hasDerivativeFromOutput() {
        return this != GELU && this != SWISH && this != MISH;
    }

    public boolean hasSaturation() {
        return this == SIGMOID || this == TANH || this == SOFTSIGN || this == HARDSIGMOID || this == HARDTANH;
    }
}
