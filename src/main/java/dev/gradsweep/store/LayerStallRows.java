package dev.gradsweep.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run's rows of the layer_stalls table, computed on the executor from the params and layers values as {@link
 * RunWriter} writes them, by the definition of jobs/sql/10_layer_profile.sql and 15_layer_stalls.sql: the view reads
 * the table instead of aggregating params and layers (docs/tables.md). Spark's semantics are kept where they decide a
 * value: null is "no value" (aggregates skip it), NaN is a value that {@code max} ranks above every other, {@code x /
 * 0} is null, {@code log10} of a value {@code <= 0} is null, and the medians are exact, as the view's {@code
 * percentile_disc(0.5)}: the ceil(n/2)-th smallest of the non-null, non-NaN values, however many steps.
 * The slopes and means are the same sums in another order: equal up to rounding. Steps arrive in order, every value of
 * a step before the next step's (the engines record a step's parameters and layers together).
 */
final class LayerStallRows {
    /** One layer's values in one step, as the views' pivots of params and layers give them (null: no row said). */
    private static final class Raw {
        boolean hasParam;
        Double gradW, gradB, gradBeta, updateRatio;
        Double denseStd, blockStd, blockGrad, dead, saturated, gateMean, gateSaturated;
        /** layer_profile's delta and act_std of the layer, set when the step is finished. */
        Double delta, act;
    }

    /** One layer's values over the run's steps. */
    private static final class Acc {
        int steps, firstStep = Integer.MAX_VALUE, lastStep = Integer.MIN_VALUE;
        final Values logDelta = new Values(), logAct = new Values(), update = new Values();
        final Values slopeW = new Values(), slopeDelta = new Values(), slopeAct = new Values();
        long frozenSteps;
        Integer lastMovingStep;
        final Mean dead = new Mean(), saturated = new Mean(), gateMean = new Mean(), gateSaturated = new Mean();
    }

    private final int nLayers;
    private final boolean plain;
    private final double frozenUpdateRatio;
    private final Map<Integer, Acc> layers = new TreeMap<>();
    private final Map<Integer, Raw> current = new TreeMap<>();
    private int currentStep = Integer.MIN_VALUE;

    /**
     * @param nLayers runs.n_layers (depth + 1)
     * @param plain skip = none: delta is the bias (or beta) gradient and the reference the output layer; block nets
     *     take the block outputs' gradients and the last block
     * @param frozenUpdateRatio gradsweep.frozen_update_ratio, which frozen_steps and frozen_from depend on
     */
    LayerStallRows(int nLayers, boolean plain, double frozenUpdateRatio) {
        this.nLayers = nLayers;
        this.plain = plain;
        this.frozenUpdateRatio = frozenUpdateRatio;
    }

    /** A params row: {@code updateRatio} null when the row's update_ratio is null. */
    void param(int step, int layer, String param, double gradL2, Double updateRatio) {
        if (layer < 0) return; // block nets' stem is not a layer of the profile
        boolean w = param.equals("W"), rec = param.equals("W_x") || param.equals("W_h");
        if (!w && !rec && !param.equals("b") && !param.equals("beta")) return;
        Raw r = raw(step, layer);
        r.hasParam = true;
        if (w) r.gradW = max(r.gradW, gradL2);
        else if (param.equals("b")) r.gradB = max(r.gradB, gradL2);
        else if (param.equals("beta")) r.gradBeta = max(r.gradBeta, gradL2);
        if (w || rec) r.updateRatio = max(r.updateRatio, updateRatio);
    }

    /** A layers row: {@code saturated} and {@code actGradL2} null when the row's columns are. */
    void layer(
            int step,
            int layer,
            String kind,
            double actMean,
            double actStd,
            Double saturated,
            double dead,
            Double actGradL2) {
        Raw r = raw(step, layer);
        switch (kind) {
            case "dense" -> {
                r.denseStd = max(r.denseStd, actStd);
                r.dead = max(r.dead, dead);
                r.saturated = max(r.saturated, saturated);
            }
            case "block" -> {
                r.blockStd = max(r.blockStd, actStd);
                r.blockGrad = max(r.blockGrad, actGradL2);
            }
            case "gate" -> {
                r.gateMean = max(r.gateMean, actMean);
                r.gateSaturated = max(r.gateSaturated, saturated);
            }
            default -> {}
        }
    }

    private Raw raw(int step, int layer) {
        if (step != currentStep) {
            if (step < currentStep)
                throw new IllegalStateException("step " + step + " recorded after step " + currentStep);
            finishStep();
            currentStep = step;
        }
        return current.computeIfAbsent(layer, k -> new Raw());
    }

    /** layer_profile's rows of the current step (layers with a params row), folded into the layers' accumulators. */
    private void finishStep() {
        if (current.isEmpty()) return;
        Slope sw = new Slope(), sd = new Slope(), sa = new Slope();
        for (Map.Entry<Integer, Raw> e : current.entrySet()) {
            Raw r = e.getValue();
            if (!r.hasParam) continue;
            int l = e.getKey();
            r.delta = plain ? (r.gradB != null ? r.gradB : r.gradBeta) : r.blockGrad;
            r.act = plain ? r.denseStd : r.blockStd;
            sw.add(l, r.gradW);
            sd.add(l, r.delta);
            sa.add(l, r.act);
        }
        Raw ref = profiled(plain ? nLayers - 1 : nLayers - 2), in = profiled(0);
        Double deltaRef = ref == null ? null : ref.delta, actIn = in == null ? null : in.act;
        Double slopeW = sw.slope(), slopeDelta = sd.slope(), slopeAct = sa.slope();
        for (Map.Entry<Integer, Raw> e : current.entrySet()) {
            Raw r = e.getValue();
            if (!r.hasParam) continue;
            int l = e.getKey();
            Acc acc = layers.computeIfAbsent(l, k -> new Acc());
            acc.steps++;
            acc.firstStep = Math.min(acc.firstStep, currentStep);
            acc.lastStep = Math.max(acc.lastStep, currentStep);
            acc.logDelta.add(log10OrMinusInfinity(divide(r.delta, deltaRef)));
            acc.logAct.add(log10OrMinusInfinity(divide(r.act, actIn)));
            acc.update.add(r.updateRatio);
            if (r.updateRatio != null) {
                if (r.updateRatio < frozenUpdateRatio) acc.frozenSteps++;
                else acc.lastMovingStep = currentStep; // NaN counts as moving, as NOT (NaN < x) in SQL
            }
            acc.slopeW.add(slopeW);
            acc.slopeDelta.add(slopeDelta);
            acc.slopeAct.add(slopeAct);
            acc.dead.add(r.dead);
            acc.saturated.add(r.saturated);
            acc.gateMean.add(r.gateMean);
            acc.gateSaturated.add(r.gateSaturated);
        }
        current.clear();
    }

    /** The current step's values of {@code layer} if it has a layer_profile row (a params row), else null. */
    private Raw profiled(int layer) {
        Raw r = current.get(layer);
        return r != null && r.hasParam ? r : null;
    }

    /** The table's rows in {@link Table#LAYER_STALLS}' column order, one per layer, after the run's last step. */
    List<Object[]> rows(String runId) {
        finishStep();
        List<Object[]> out = new ArrayList<>();
        for (Map.Entry<Integer, Acc> e : layers.entrySet()) {
            int l = e.getKey();
            Acc a = e.getValue();
            Integer frozenFrom = a.lastMovingStep == null
                    ? Integer.valueOf(a.firstStep)
                    : a.lastMovingStep < a.lastStep ? Integer.valueOf(a.lastMovingStep + 1) : null;
            out.add(new Object[] {
                runId,
                l,
                nLayers - 1 - l,
                plain ? nLayers - 1 : nLayers - 2,
                (long) a.steps,
                a.logDelta.median(),
                a.logAct.median(),
                a.update.median(),
                a.frozenSteps,
                frozenFrom,
                a.dead.value(),
                a.saturated.value(),
                a.gateMean.value(),
                a.gateSaturated.value(),
                a.slopeW.median(),
                a.slopeDelta.median(),
                a.slopeAct.median()
            });
        }
        return out;
    }

    /** Spark's max: null skipped, NaN above every value. */
    private static Double max(Double acc, Double v) {
        if (v == null) return acc;
        if (acc == null || Double.isNaN(v)) return v;
        if (Double.isNaN(acc)) return acc;
        return Math.max(acc, v);
    }

    /** Spark's double division: null when either side is null or the divisor is 0. */
    private static Double divide(Double x, Double y) {
        if (x == null || y == null || y == 0) return null;
        return x / y;
    }

    /** {@code CASE WHEN x = 0 THEN -Infinity ELSE log10(x) END}: Spark's log10 is null for x < 0, NaN for NaN. */
    private static Double log10OrMinusInfinity(Double x) {
        if (x == null) return null;
        if (x == 0) return Double.NEGATIVE_INFINITY;
        if (x < 0) return null;
        return StrictMath.log10(x); // Spark's Log10 is StrictMath's
    }

    /** A step's least-squares slope of log10(y) over the layer index (regr_slope), y positive and finite only. */
    private static final class Slope {
        // Spark's CovPopulation and VariancePop updates (Welford), in layer order
        double n, xAvg, yAvg, ck, m2;

        void add(int layer, Double y) {
            if (y == null || !(y > 0 && y < Double.POSITIVE_INFINITY)) return;
            double ly = StrictMath.log10(y), x = layer;
            n += 1;
            double dx = x - xAvg, dxN = dx / n, dy = ly - yAvg;
            xAvg += dxN;
            yAvg += dy / n;
            ck += dx * (ly - yAvg);
            m2 += dx * (dx - dxN);
        }

        /** Null below 2 points (a zero variance of the layer index), as regr_slope. */
        Double slope() {
            if (n == 0) return null;
            double varPop = m2 / n;
            return varPop == 0 ? null : (ck / n) / varPop;
        }
    }

    /** Values of a column over steps, for {@code percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(x, NULL))}. */
    private static final class Values {
        double[] v = new double[16];
        int n;

        void add(Double x) {
            if (x == null || Double.isNaN(x)) return;
            if (n == v.length) v = Arrays.copyOf(v, 2 * n);
            v[n++] = x;
        }

        Double median() {
            if (n == 0) return null;
            double[] s = Arrays.copyOf(v, n);
            Arrays.sort(s);
            return s[(n + 1) / 2 - 1];
        }
    }

    /** {@code avg(x)}: nulls skipped, NaN kept (the mean is then NaN). */
    private static final class Mean {
        double sum;
        long n;

        void add(Double x) {
            if (x == null) return;
            sum += x;
            n++;
        }

        Double value() {
            return n == 0 ? null : sum / n;
        }
    }
}
