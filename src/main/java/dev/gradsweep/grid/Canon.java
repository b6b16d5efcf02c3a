package dev.gradsweep.grid;

import java.math.BigDecimal;

/** Canonical text of numbers, so that 0.050 and 5e-2 give the same run id. */
public final class Canon {
    private Canon() {}

    public static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }
}
