-- layer_stalls: one row per run and layer, medians over the run's steps.
--   log10_delta_rel: median log10 of delta relative to the output layer (-Infinity: delta was exactly 0).
--   frozen_steps: steps in which the weight update ratio was below gradsweep.frozen_update_ratio,
--   frozen_from: the first step from which it stayed below until the run's last step (null: it moved at the end).
CREATE OR REPLACE TEMPORARY VIEW layer_stalls AS
WITH p AS (
  SELECT run_id, layer, from_output, step, update_ratio,
         CASE WHEN delta_rel = 0 THEN double('-Infinity') ELSE log10(delta_rel) END AS log10_delta_rel,
         max(step) OVER (PARTITION BY run_id) AS last_step
  FROM layer_profile
), g AS (
  SELECT run_id, layer, max(from_output) AS from_output, count(*) AS steps, max(last_step) AS last_step, min(step) AS first_step,
         percentile_approx(log10_delta_rel, 0.5) AS log10_delta_rel,
         percentile_approx(update_ratio, 0.5) AS update_ratio,
         count_if(update_ratio < ${gradsweep.frozen_update_ratio}) AS frozen_steps,
         max(CASE WHEN NOT (update_ratio < ${gradsweep.frozen_update_ratio}) THEN step END) AS last_moving_step
  FROM p GROUP BY run_id, layer
)
SELECT run_id, layer, from_output, steps, log10_delta_rel, update_ratio, frozen_steps,
       CASE WHEN last_moving_step IS NULL THEN first_step
            WHEN last_moving_step < last_step THEN last_moving_step + 1 END AS frozen_from
FROM g;

-- stalls: one row per run. WHERE training stalls and WHEN.
--   stall_layer: the layer nearest the output whose median delta is below gradsweep.vanish_ratio times the output
--   layer's, from there down to the input the layers are starved (null: no layer is). stall_from_output counts
--   the layers between it and the output (how far the signal reaches).
--   stall_step: the first step after which the loss's running best never again improves by
--   gradsweep.loss_min_improve (a fraction) within gradsweep.loss_window steps, 0 = never improved, null = still
--   improving in the last full window (or fewer steps than one window).
--   frozen_layers, first_frozen_step: layers whose update ratio stayed below gradsweep.frozen_update_ratio to the end,
--   and the earliest step such a layer froze (see layer_stalls).
CREATE OR REPLACE TEMPORARY VIEW stalls AS
WITH best AS (
  SELECT run_id, step,
         min(loss) OVER (PARTITION BY run_id ORDER BY step ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS best
  FROM steps WHERE NOT isnan(loss) AND abs(loss) < double('Infinity')
), imp AS (
  SELECT run_id, step,
         (best - lead(best, ${gradsweep.loss_window}) OVER (PARTITION BY run_id ORDER BY step)) / abs(best) AS improve
  FROM best
), loss_stall AS (
  SELECT run_id, max(step) FILTER (WHERE improve IS NOT NULL) AS last_window,
         max(step) FILTER (WHERE improve >= ${gradsweep.loss_min_improve}) AS last_improving
  FROM imp GROUP BY run_id
), starved AS (
  SELECT run_id,
         max(CASE WHEN log10_delta_rel < log10(${gradsweep.vanish_ratio}) THEN layer END) AS stall_layer,
         count_if(frozen_from IS NOT NULL) AS frozen_layers,
         min(frozen_from) AS first_frozen_step
  FROM layer_stalls GROUP BY run_id
)
SELECT r.run_id, r.n_layers, s.stall_layer, r.n_layers - 1 - s.stall_layer AS stall_from_output,
       CASE WHEN l.last_window IS NULL THEN NULL
            WHEN l.last_improving IS NULL THEN 0
            WHEN l.last_improving = l.last_window THEN NULL
            ELSE l.last_improving + 1 END AS stall_step,
       s.frozen_layers, s.first_frozen_step
FROM runs r
LEFT JOIN starved s ON s.run_id = r.run_id
LEFT JOIN loss_stall l ON l.run_id = r.run_id;
