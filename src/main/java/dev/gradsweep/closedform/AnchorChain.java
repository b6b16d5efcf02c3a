package dev.gradsweep.closedform;

import dev.gradsweep.grid.Activation;
import java.util.ArrayList;
import java.util.List;

/**
 * The closed-form anchor chain of the classic worked example: one unit per layer, every weight w, bias 0, input x.
 * Forward z_l = w·a_{l-1}, a_l = f(z_l). Backward, as in the worked example, δ_l = ∂L/∂a_l with δ_L = the output
 * gradient and δ_l = δ_{l+1}·w·f'(z_{l+1}); the weight gradient is ∂L/∂w_l = δ_l·f'(z_l)·a_{l-1}. Layers are
 * numbered 1..L from the input, as in the worked example.
 */
public final class AnchorChain {
    public record Layer(int layer, double z, double a, double slope, double delta, double gradW) {}

    private AnchorChain() {}

    public static List<Layer> compute(int depth, double w, double x, Activation act, double outputGradient) {
        double[] z = new double[depth + 1], a = new double[depth + 1], d = new double[depth + 2];
        a[0] = x;
        for (int l = 1; l <= depth; l++) {
            z[l] = w * a[l - 1];
            a[l] = value(act, z[l]);
        }
        double[] delta = new double[depth + 1];
        delta[depth] = outputGradient;
        for (int l = depth - 1; l >= 1; l--) delta[l] = delta[l + 1] * w * derivative(act, z[l + 1]);
        List<Layer> out = new ArrayList<>();
        for (int l = 1; l <= depth; l++) {
            double s = derivative(act, z[l]);
            out.add(new Layer(l, z[l], a[l], s, delta[l], delta[l] * s * a[l - 1]));
        }
        return out;
    }

    /** Activations with a closed form here, as text (a constant, so the CLI's help can name them). */
    public static final String SUPPORTED_NAMES =
            "sigmoid, tanh, relu, leakyrelu, elu, softsign, softplus, swish, identity";
    /** The same as activations; the others are refused by the CLI. */
    public static final List<Activation> SUPPORTED = java.util.Arrays.stream(SUPPORTED_NAMES.split(", "))
            .map(Activation::parse)
            .toList();

    /** DL4J's LeakyReLU default slope. */
    static final double LEAKY_ALPHA = 0.01;

    public static double value(Activation act, double z) {
        switch (act) {
            case SIGMOID:
                return 1 / (1 + Math.exp(-z));
            case TANH:
                return Math.tanh(z);
            case RELU:
                return Math.max(0, z);
            case LEAKYRELU:
                return z > 0 ? z : LEAKY_ALPHA * z;
            case ELU:
                return z > 0 ? z : Math.expm1(z);
            case SOFTSIGN:
                return z / (1 + Math.abs(z));
            case SOFTPLUS:
                return Math.log1p(Math.exp(z));
            case SWISH:
                return z / (1 + Math.exp(-z));
            case IDENTITY:
                return z;
            default:
                throw new IllegalArgumentException("trace supports " + SUPPORTED + ", not " + act.key);
        }
    }

    public static double derivative(Activation act, double z) {
        switch (act) {
            case SIGMOID: {
                double s = value(act, z);
                return s * (1 - s);
            }
            case TANH: {
                double t = Math.tanh(z);
                return 1 - t * t;
            }
            case RELU:
                return z > 0 ? 1 : 0;
            case LEAKYRELU:
                return z > 0 ? 1 : LEAKY_ALPHA;
            case ELU:
                return z > 0 ? 1 : Math.exp(z);
            case SOFTSIGN: {
                double q = 1 + Math.abs(z);
                return 1 / (q * q);
            }
            case SOFTPLUS:
                return 1 / (1 + Math.exp(-z));
            case SWISH: {
                double s = 1 / (1 + Math.exp(-z));
                return s + z * s * (1 - s);
            }
            case IDENTITY:
                return 1;
            default:
                throw new IllegalArgumentException("trace supports " + SUPPORTED + ", not " + act.key);
        }
    }
}
