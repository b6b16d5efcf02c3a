-- layer_stalls: one row per run and layer, medians (or means) over the run's steps. A median is exact: the
--   ceil(n/2)-th smallest of the step values that are neither null nor NaN, percentile_disc(0.5) (Spark 3.5; not with
--   spark.sql.legacy.percentileDiscCalculation=true), the value the executors store (store/LayerStallRows.java).
--   NaN steps (a diverged run's 0/0 or Infinity/Infinity ratios) are skipped, as numpy's nanmedian does. (The view
--   used percentile_approx before: exact only up to ~5,000 steps, and above that its answer depended on how Spark
--   partitioned the rows, so a recomputed layer_stalls could disagree with the stored one: StallMediansTest.)
--   Null: every step was null or NaN.
--   log10_delta_rel: median log10 of delta relative to delta_ref_layer (-Infinity: delta was exactly 0; null for
--   the output layer of a block net, which has no delta). log10_act_rel: median log10 of act_rel (null for the
--   output layer). update_ratio: median weight update ratio.
--   frozen_steps: steps in which the weight update ratio was below gradsweep.frozen_update_ratio,
--   frozen_from: the first step from which it stayed below until the run's last step (null: it moved at the end).
--   A step without an update ratio is neither moving nor frozen: the step a diverged run stopped at (its update was
--   not applied) makes frozen_from that step in every layer; stalls and verdict_evidence do not count it as frozen.
--   dead_frac, saturated_frac, gate_mean, gate_saturated_frac: means over steps (see layer_profile).
--   slope_w, slope_delta, slope_act: the run's median over steps of each step's fit (the same in every layer row).
-- A sweep also stores these rows, computed by the executors as they write each run, as the table layer_stalls
-- (docs/tables.md): gradsweep reads that table instead of this view (layer_stalls_table.sql) when the table's
-- gradsweep.frozen_update_ratio property equals the session's, the one parameter the rows depend on.
CREATE OR REPLACE TEMPORARY VIEW layer_stalls AS
WITH g AS (
  SELECT run_id, layer, max(from_output) AS from_output, max(delta_ref_layer) AS delta_ref_layer,
         count(*) AS steps, max(step) AS last_step, min(step) AS first_step,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(CASE WHEN delta_rel = 0 THEN double('-Infinity') ELSE log10(delta_rel) END, double(NULL))) AS log10_delta_rel,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(CASE WHEN act_rel = 0 THEN double('-Infinity') ELSE log10(act_rel) END, double(NULL))) AS log10_act_rel,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(update_ratio, double(NULL))) AS update_ratio,
         count_if(update_ratio < ${gradsweep.frozen_update_ratio}) AS frozen_steps,
         max(CASE WHEN NOT (update_ratio < ${gradsweep.frozen_update_ratio}) THEN step END) AS last_moving_step,
         avg(dead_frac) AS dead_frac, avg(saturated_frac) AS saturated_frac,
         avg(gate_mean) AS gate_mean, avg(gate_saturated_frac) AS gate_saturated_frac,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(slope_w, double(NULL))) AS slope_w,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(slope_delta, double(NULL))) AS slope_delta,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(slope_act, double(NULL))) AS slope_act
  FROM layer_profile GROUP BY run_id, layer
)
SELECT run_id, layer, from_output, delta_ref_layer, steps, log10_delta_rel, log10_act_rel, update_ratio, frozen_steps,
       CASE WHEN last_moving_step IS NULL THEN first_step
            WHEN last_moving_step < last_step THEN last_moving_step + 1 END AS frozen_from,
       dead_frac, saturated_frac, gate_mean, gate_saturated_frac, slope_w, slope_delta, slope_act
FROM g;
-- Cached (lazily, on first use): stalls and verdict_evidence both read it, and it is the one pass over params and
-- layers (through layer_profile) that the run-level views need. A cache is found by its plan, which names the tables
-- but not their snapshot: the UNCACHE drops the rows cached by an earlier registration of the same views, so the
-- views registered now read the commits made since.
UNCACHE TABLE IF EXISTS layer_stalls;
CACHE LAZY TABLE layer_stalls;

