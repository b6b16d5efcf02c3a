package dev.gradsweep.grid;

import java.util.Locale;

/**
 * The {@code cell} axis: {@code none} (the feed-forward nets) or a recurrent cell kind. {@code gates} is the number
 * of H-wide blocks in the cell's pre-activation, so W_x is [in, gates·H], W_h [H, gates·H] and b [gates·H]. Block order:
 * <ul>
 * <li>rnn: h = f(x W_x + h₋ W_h + b).</li>
 * <li>lstm, DL4J's {@code LSTM} order (no peepholes): [a block input (tanh), f forget, o output, i input gate];
 *   c = f ⊙ c₋ + i ⊙ a, h = o ⊙ tanh(c).</li>
 * <li>gru, reset applied after the recurrent product (cuDNN/PyTorch form, one bias): [r reset, z update, n];
 *   n = tanh(x W_xn + r ⊙ (h₋ W_hn) + b_n), h = (1 − z) ⊙ n + z ⊙ h₋; z near 1 keeps the state.</li>
 * </ul>
 */
public enum Cell {
    NONE(0),
    RNN(1),
    LSTM(4),
    GRU(3);

    /** The activations a vanilla rnn cell takes from the {@code activation} axis (lstm and gru use sigmoid and tanh). */
    public static final String RNN_ACTIVATIONS = "tanh, relu, sigmoid, identity, leakyrelu, hardtanh, softsign";

    /** The grid file's and the tables' spelling. */
    public final String key = name().toLowerCase(Locale.ROOT);

    public final int gates;

    Cell(int gates) {
        this.gates = gates;
    }

    public boolean recurrent() {
        return this != NONE;
    }

    public static Cell parse(String s) {
        for (Cell c : values()) if (c.key.equals(s.trim().toLowerCase(Locale.ROOT))) return c;
        return null;
    }

    public static boolean rnnActivation(Activation a) {
        switch (a) {
            case TANH:
            case RELU:
            case SIGMOID:
            case IDENTITY:
            case LEAKYRELU:
            case HARDTANH:
            case SOFTSIGN:
                return true;
            default:
                return false;
        }
    }

    @Override
    public String toString() {
        return key;
    }
}
