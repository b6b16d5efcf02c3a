-- verdicts: one row per run, its verdict and the evidence beside it. Rules, first match wins:
--   failed     status = 'failed' (an exception, see error)
--   diverged   status = 'diverged' (a non-finite loss or gradient), or loss_last > diverge_loss_ratio x loss_first
--   exploding  log10_delta_in > log10(explode_ratio), or log10_act_out > log10(explode_ratio)
--   dead       dead_frac > gradsweep.dead_frac
--   saturated  saturated_frac > gradsweep.saturated_frac
--   vanishing  log10_delta_in < log10(vanish_ratio), or log10_act_out < log10(vanish_ratio), or the input layer
--              is frozen (update_ratio_in < frozen_update_ratio) and moves less than vanish_ratio x the output layer
--   healthy    none of the above
-- Evidence, medians over the run's steps: log10_delta_in = log10(delta_0 / delta_output) (the back-propagated
-- signal reaching layer 0), log10_act_out = log10(act_std of the last hidden layer / act_std of layer 0) (the
-- forward signal), slope_delta / slope_w / slope_act (see layer_profile), update_ratio_in / _out (layer 0, output
-- layer), saturated_frac, dead_frac: means over hidden layers and steps, stall_layer, stall_step, frozen_layers
-- from stalls. Weight gradients alone can mislead (slope_w is shown, never used by a rule).
CREATE OR REPLACE TEMPORARY VIEW verdicts AS
WITH prof AS (
  SELECT p.run_id,
         percentile_approx(CASE WHEN p.layer = 0 THEN
             (CASE WHEN p.delta_rel = 0 THEN double('-Infinity') ELSE log10(p.delta_rel) END) END, 0.5) AS log10_delta_in,
         percentile_approx(CASE WHEN p.layer = r.n_layers - 2 THEN log10(p.act_rel) END, 0.5) AS log10_act_out,
         percentile_approx(CASE WHEN p.layer = 0 THEN p.slope_delta END, 0.5) AS slope_delta,
         percentile_approx(CASE WHEN p.layer = 0 THEN p.slope_w END, 0.5) AS slope_w,
         percentile_approx(CASE WHEN p.layer = 0 THEN p.slope_act END, 0.5) AS slope_act,
         percentile_approx(CASE WHEN p.layer = 0 THEN p.update_ratio END, 0.5) AS update_ratio_in,
         percentile_approx(CASE WHEN p.layer = r.n_layers - 1 THEN p.update_ratio END, 0.5) AS update_ratio_out
  FROM layer_profile p JOIN runs r ON r.run_id = p.run_id
  GROUP BY p.run_id
), act AS (
  SELECT run_id, avg(act_saturated_frac) AS saturated_frac, avg(act_dead_frac) AS dead_frac
  FROM layers GROUP BY run_id
)
SELECT r.run_id, r.sweep, r.depth, r.width, r.activation, r.init, r.norm, r.placement, r.skip, r.task, r.optimizer,
       r.lr, r.batch, r.clip, r.dtype, r.seed,
       CASE WHEN r.status = 'failed' THEN 'failed'
            WHEN r.status = 'diverged' OR NOT (r.loss_last <= ${gradsweep.diverge_loss_ratio} * r.loss_first) THEN 'diverged'
            WHEN p.log10_delta_in > log10(${gradsweep.explode_ratio})
              OR p.log10_act_out > log10(${gradsweep.explode_ratio}) THEN 'exploding'
            WHEN a.dead_frac > ${gradsweep.dead_frac} THEN 'dead'
            WHEN a.saturated_frac > ${gradsweep.saturated_frac} THEN 'saturated'
            WHEN p.log10_delta_in < log10(${gradsweep.vanish_ratio})
              OR p.log10_act_out < log10(${gradsweep.vanish_ratio})
              OR (p.update_ratio_in < ${gradsweep.frozen_update_ratio}
                  AND p.update_ratio_in < ${gradsweep.vanish_ratio} * p.update_ratio_out) THEN 'vanishing'
            ELSE 'healthy' END AS verdict,
       r.status, r.steps_done, r.loss_first, r.loss_last,
       p.log10_delta_in, p.log10_act_out, p.slope_delta, p.slope_w, p.slope_act,
       a.saturated_frac, a.dead_frac, p.update_ratio_in, p.update_ratio_out,
       s.stall_layer, s.stall_step, s.frozen_layers, r.error
FROM runs r
LEFT JOIN prof p ON p.run_id = r.run_id
LEFT JOIN act a ON a.run_id = r.run_id
LEFT JOIN stalls s ON s.run_id = r.run_id;
