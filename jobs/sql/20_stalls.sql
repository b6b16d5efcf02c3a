-- loss_plateaus: one row per run with finite losses, WHEN the loss stops improving, against minibatch noise.
--   The steps are cut into windows of gradsweep.loss_window steps (only full windows count); each window has its mean
--   loss m_k and the standard error of that mean se_k (the losses' sample standard deviation / sqrt(window)). Window k
--   improves when the mean over all later windows (m_later, standard error se_later = sqrt(sum of their se^2) / their
--   count) is lower than m_k by more than both gradsweep.loss_noise_z * sqrt(se_k^2 + se_later^2) and
--   gradsweep.loss_min_improve * |m_k|.
--   stall_step is the first step of the window after the last improving one: from there on the loss stays within
--   noise. 0 = no window ever improved (a plateau from the start, e.g. pure noise); null = the second-to-last window
--   still improves (still improving at the end), or fewer than two full windows.
--   plateau_loss, plateau_noise: m_k and se_k of the window where the plateau begins.
CREATE OR REPLACE TEMPORARY VIEW loss_plateaus AS
WITH win AS (
  SELECT run_id, cast(floor(step / ${gradsweep.loss_window}) AS INT) AS k, count(*) AS n, avg(loss) AS m,
         coalesce(stddev_samp(loss), 0D) / sqrt(count(*)) AS se
  FROM steps WHERE NOT isnan(loss) AND abs(loss) < double('Infinity')
  GROUP BY run_id, cast(floor(step / ${gradsweep.loss_window}) AS INT)
), later AS (
  SELECT run_id, k, m, se,
         avg(m) OVER f AS m_later, sqrt(sum(se * se) OVER f) / count(*) OVER f AS se_later
  FROM win WHERE n = ${gradsweep.loss_window}
  WINDOW f AS (PARTITION BY run_id ORDER BY k ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
), imp AS (
  SELECT run_id, k, m, se, m_later IS NOT NULL AS has_later,
         m - m_later > greatest(${gradsweep.loss_noise_z} * sqrt(se * se + se_later * se_later),
                                ${gradsweep.loss_min_improve} * abs(m)) AS improves
  FROM later
), g AS (
  SELECT run_id, max(CASE WHEN has_later THEN k END) AS last_k, max(CASE WHEN improves THEN k END) AS last_improving,
         map_from_entries(collect_list(struct(k, struct(m, se)))) AS by_k
  FROM imp GROUP BY run_id
), s AS (
  SELECT run_id, by_k,
         CASE WHEN last_k IS NULL THEN NULL
              WHEN last_improving IS NULL THEN 0
              WHEN last_improving = last_k THEN NULL
              ELSE last_improving + 1 END AS stall_k
  FROM g
)
SELECT run_id, stall_k * ${gradsweep.loss_window} AS stall_step,
       by_k[stall_k].m AS plateau_loss, by_k[stall_k].se AS plateau_noise
FROM s;

-- stalls: one row per run. WHERE training stalls and WHEN.
--   stall_layer: the layer nearest the output whose median delta is below gradsweep.vanish_ratio times its
--   reference (delta_ref_layer, see layer_profile), a starved layer (null: no layer is). starved_layers: how many
--   layers are starved; they need not be the contiguous 0 … stall_layer (verdict_evidence.starved_layer_set lists
--   them); stall_from_output: layers between stall_layer and the output.
--   stall_step, plateau_loss, plateau_noise: see loss_plateaus.
--   frozen_layers, first_frozen_step: layers whose update ratio stayed below gradsweep.frozen_update_ratio to the end,
--   and the earliest step such a layer froze (see layer_stalls). A diverged run's layers count only when they froze
--   before the step it stopped at (steps_done - 1), which has no update ratio: that step alone is no sign of a frozen
--   layer.
--   Recurrent runs: stall_layer and starved_layers are null (where they stall is through time: memory).
CREATE OR REPLACE TEMPORARY VIEW stalls AS
WITH starved AS (
  SELECT l.run_id,
         max(CASE WHEN r.cell = 'none' AND l.log10_delta_rel < log10(${gradsweep.vanish_ratio}) THEN l.layer END) AS stall_layer,
         CASE WHEN max(r.cell) = 'none' THEN count_if(l.log10_delta_rel < log10(${gradsweep.vanish_ratio})) END AS starved_layers,
         count_if(l.frozen_from IS NOT NULL AND (r.status <> 'diverged' OR l.frozen_from < r.steps_done - 1)) AS frozen_layers,
         min(CASE WHEN r.status <> 'diverged' OR l.frozen_from < r.steps_done - 1 THEN l.frozen_from END) AS first_frozen_step
  FROM layer_stalls l JOIN runs r ON r.run_id = l.run_id GROUP BY l.run_id
)
SELECT r.run_id, r.n_layers, st.stall_layer, r.n_layers - 1 - st.stall_layer AS stall_from_output, st.starved_layers,
       l.stall_step, l.plateau_loss, l.plateau_noise, st.frozen_layers, st.first_frozen_step
FROM runs r
LEFT JOIN starved st ON st.run_id = r.run_id
LEFT JOIN loss_plateaus l ON l.run_id = r.run_id;
