-- Gradients through time of recurrent runs (the timesteps table; feed-forward runs have no rows here). Loaded
-- before 30_verdicts.sql, whose verdicts of recurrent runs read memory.
-- timestep_profile: one row per run, training step and recurrent layer, over the time steps t = 0 … T−1.
--   log10_slope_back: least-squares slope of log10 ‖∂L/∂h_t‖ per step back in time, k = T−1−t (negative: the
--   gradient vanishes going back, positive: it explodes; ln(10) times it is the per-step log factor). Time steps
--   whose gradient is 0 (underflow) or not finite are left out of the fit.
--   log10_rms_act_slope: mean over t of log10 √(act_slope_sq_mean), the activation's share of that factor (a
--   linear-regime tanh RNN with spectral:ρ has log10_slope_back ≈ log10 ρ + log10_rms_act_slope).
--   log10_last_over_first: log10 (‖∂L/∂h_{T−1}‖ / ‖∂L/∂h_0‖), the whole drop (+Infinity when h_0's gradient is 0).
CREATE OR REPLACE TEMPORARY VIEW timestep_profile AS
WITH g AS (
  SELECT run_id, step, layer, layer_name, t, grad_h_l2, grad_c_l2, gate_mean, act_slope_sq_mean, act_saturated_frac,
         max(t) OVER (PARTITION BY run_id, step, layer) AS t_last
  FROM timesteps
), f AS (
  SELECT run_id, step, layer, layer_name, max(t_last) + 1 AS seq_len,
         regr_slope(CASE WHEN grad_h_l2 > 0 AND grad_h_l2 < double('Infinity') THEN log10(grad_h_l2) END, t_last - t)
           AS log10_slope_back,
         avg(CASE WHEN act_slope_sq_mean > 0 THEN 0.5 * log10(act_slope_sq_mean) END) AS log10_rms_act_slope,
         max(CASE WHEN t = t_last THEN grad_h_l2 END) AS grad_h_last,
         max(CASE WHEN t = 0 THEN grad_h_l2 END) AS grad_h_first,
         max(CASE WHEN t = 0 THEN grad_c_l2 END) AS grad_c_first,
         avg(gate_mean) AS gate_mean, avg(act_saturated_frac) AS act_saturated_frac
  FROM g GROUP BY run_id, step, layer, layer_name
)
SELECT run_id, step, layer, layer_name, seq_len, log10_slope_back, log10_rms_act_slope, grad_h_first, grad_h_last,
       CASE WHEN grad_h_first = 0 THEN double('Infinity') ELSE log10(grad_h_last / grad_h_first) END AS log10_last_over_first,
       grad_c_first, gate_mean, act_saturated_frac
FROM f;

-- memory: one row per run, training step and recurrent layer: how far back the gradient signal reaches.
--   memory_horizon: how many steps back from the last time step ‖∂L/∂h_t‖ stays at or above gradsweep.vanish_ratio
--   times the last step's: the first k = T−1−t where it falls below (exact zeros count as below), or T when it never
--   does (reaches_start: the signal reaches t = 0). log10_slope_back, log10_last_over_first, act_saturated_frac:
--   from timestep_profile, beside the horizon for the verdicts (30_verdicts.sql), which read this view only.
CREATE OR REPLACE TEMPORARY VIEW memory AS
SELECT p.run_id, p.step, p.layer, p.layer_name, p.seq_len, p.grad_h_last,
       p.log10_slope_back, p.log10_last_over_first, p.act_saturated_frac,
       coalesce(min(CASE WHEN ts.grad_h_l2 < ${gradsweep.vanish_ratio} * p.grad_h_last THEN p.seq_len - 1 - ts.t END), p.seq_len)
         AS memory_horizon,
       min(CASE WHEN ts.grad_h_l2 < ${gradsweep.vanish_ratio} * p.grad_h_last THEN p.seq_len - 1 - ts.t END) IS NULL AS reaches_start
FROM timestep_profile p JOIN timesteps ts ON ts.run_id = p.run_id AND ts.step = p.step AND ts.layer = p.layer
GROUP BY p.run_id, p.step, p.layer, p.layer_name, p.seq_len, p.grad_h_last, p.log10_slope_back,
         p.log10_last_over_first, p.act_saturated_frac;
