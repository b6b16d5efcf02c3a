package dev.gradsweep.store;

import java.util.List;

/** Test access to {@link LayerStallRows}, the executors' layer_stalls rows, from the analysis tests. */
public final class StallRowsProbe {
    private StallRowsProbe() {}

    /**
     * The update_ratio column the executor stores for a one-layer run whose W has these update ratios in steps 0, 1,
     * … (null: no ratio that step).
     */
    public static Double updateRatioMedian(List<Double> ratios) {
        LayerStallRows rows = new LayerStallRows(1, true, 1e-4);
        for (int step = 0; step < ratios.size(); step++) rows.param(step, 0, "W", 1.0, ratios.get(step));
        return (Double) rows.rows("r").get(0)[Table.LAYER_STALLS.index("update_ratio")];
    }
}
