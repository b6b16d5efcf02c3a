package dev.gradsweep.recurrent;

/**
 * Recurrent cell kinds. {@code gates} is the number of H-wide blocks in the cell's pre-activation, so W_x is
 * [in, gates·H], W_h [H, gates·H] and b [gates·H]. Block order:
 * <ul>
 * <li>rnn: h = f(x W_x + h₋ W_h + b).</li>
 * <li>lstm, DL4J's {@code LSTM} order (no peepholes): [a block input (tanh), f forget, o output, i input gate];
 *   c = f ⊙ c₋ + i ⊙ a, h = o ⊙ tanh(c).</li>
 * <li>gru, reset applied after the recurrent product (cuDNN/PyTorch form, one bias): [r reset, z update, n];
 *   n = tanh(x W_xn + r ⊙ (h₋ W_hn) + b_n), h = (1 − z) ⊙ n + z ⊙ h₋; z near 1 keeps the state.</li>
 * </ul>
 */
public enum Cell {
    RNN("rnn", 1), LSTM("lstm", 4), GRU("gru", 3);

    public final String key;
    public final int gates;

    Cell(String key, int gates) {
        this.key = key;
        this.gates = gates;
    }

    public static Cell parse(String s) {
        for (Cell c : values()) if (c.key.equals(s.trim().toLowerCase())) return c;
        return null;
    }
}
