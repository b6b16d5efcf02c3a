-- verdict_axes: verdict_evidence with one row per run and grid axis (axis, value) and the run's context for that
-- axis: every other axis's value and the train settings that are not axes (steps, warmup, highway_gate_bias, ffn:
-- null in outputs written before gradsweep recorded them, so those runs share no context with newer ones), as a JSON
-- object (forget_bias is left out of cell's contexts, see axis_effects). Keys and nulls are kept, so two configurations never share a
-- context because a null dropped out or a value holds the separator (a table task's features are joined by '|'), and
-- runs trained for other steps (a sweep resumed after its train: changed) are not compared as if equal.
-- axis_effects and verdicts group runs by these contexts. Readers take only the columns they need right away, so
-- their windows carry few columns (all of verdict_evidence through them made Spark's constraint propagation slow).
CREATE OR REPLACE TEMPORARY VIEW verdict_axes AS
WITH a AS (
  SELECT v.*, map_concat(map('depth', cast(depth AS string), 'width', cast(width AS string), 'activation', activation,
                  'init', init, 'norm', norm, 'placement', placement, 'skip', skip, 'task', task,
                  'optimizer', optimizer, 'lr', cast(lr AS string), 'batch', cast(batch AS string), 'clip', clip,
                  'dtype', dtype, 'cell', cell, 'seq_len', cast(seq_len AS string), 'rec_init', rec_init,
                  'forget_bias', cast(forget_bias AS string),
                  -- outputs from before transformers hold feed-forward runs only: their nulls are mlp's values
                  'arch', coalesce(arch, 'mlp'), 'heads', cast(heads AS string),
                  'positions', coalesce(positions, 'n/a')),
                  -- a factory's custom axes (runs.custom, name=value;…) are axes like the others, as custom.<name>
                  CASE WHEN custom IS NULL THEN cast(map() AS map<string, string>)
                       ELSE transform_keys(str_to_map(custom, ';', '='), (k, x) -> concat('custom.', k)) END) AS axes,
         map('steps', cast(steps AS string), 'warmup', cast(warmup AS string), 'ffn', cast(ffn AS string),
             'highway_gate_bias', cast(highway_gate_bias AS string), 'stages', cast(stages AS string),
             'groups', cast(groups AS string)) AS settings
  FROM verdict_evidence v
)
SELECT a.*, x.axis, x.value,
       to_json(map_concat(map_filter(a.axes, (k, v) -> k <> x.axis AND NOT (x.axis = 'cell' AND k = 'forget_bias')),
                          a.settings)) AS context
FROM a LATERAL VIEW explode(a.axes) x AS axis, value;

-- axis_effects: "what fixes it" in one table. One row per grid axis that varies in the sweep and per value:
-- the share of runs per verdict and the median slopes, exact as in layer_stalls (decades per layer, see
-- layer_profile; median_slope_back: recurrent runs' fitted decay through time, decades per step back, see
-- timestep_profile).
-- Holding the other axes fixed: a context is one combination of every other axis (seeds are replicates, not
-- axes). Where some context holds every value of the axis, only such complete contexts count (held_fixed = true),
-- so the values are compared on the same configurations, otherwise every run counts (held_fixed = false).
--   fixes / broken_contexts: in how many of the contexts where some value of this axis is not healthy, this value
--   is healthy in every run.
-- Recurrent axes (cell, seq_len, rec_init, forget_bias) are axes like the others; forget_bias exists for lstm only
-- (null for other cells), so it is left out of the cell axis's contexts, or lstm would never share one with gru/rnn.
-- Built on verdict_evidence, not verdicts: verdicts takes its advice (try) from here (50_advice.sql).
CREATE OR REPLACE TEMPORARY VIEW axis_effects AS
WITH e AS (
  SELECT verdict, slope_delta, slope_w, log10_slope_back, axis, value, context FROM verdict_axes
), w1 AS (
  -- windows over the one relation e rather than joins of e with itself: verdict_evidence is planned and read once
  SELECT e.*,
         size(collect_set(value) OVER (PARTITION BY axis)) AS n_values,
         size(collect_set(value) OVER (PARTITION BY axis, context)) AS ctx_values
  FROM e
), m AS (
  SELECT w1.*, ctx_values = n_values AS complete, max(ctx_values = n_values) OVER (PARTITION BY axis) AS held_fixed
  FROM w1 WHERE n_values > 1
), kept AS (
  SELECT * FROM m WHERE complete OR NOT held_fixed
), cv AS (
  SELECT kept.*, bool_and(verdict = 'healthy') OVER (PARTITION BY axis, context, value) AS ok FROM kept
), cx AS (
  SELECT cv.*, bool_and(ok) OVER (PARTITION BY axis, context) AS all_ok FROM cv
), fx AS (
  SELECT cx.*,
         bigint(size(collect_set(CASE WHEN ok AND NOT all_ok THEN context END) OVER (PARTITION BY axis, value))) AS fixes,
         bigint(size(collect_set(CASE WHEN NOT all_ok THEN context END) OVER (PARTITION BY axis, value))) AS broken_contexts
  FROM cx
)
SELECT k.axis, k.value, count(*) AS runs, count(DISTINCT k.context) AS contexts, max(k.held_fixed) AS held_fixed,
       avg(CASE WHEN verdict = 'healthy' THEN 1.0 ELSE 0.0 END) AS healthy,
       avg(CASE WHEN verdict = 'vanishing' THEN 1.0 ELSE 0.0 END) AS vanishing,
       avg(CASE WHEN verdict = 'exploding' THEN 1.0 ELSE 0.0 END) AS exploding,
       avg(CASE WHEN verdict = 'saturated' THEN 1.0 ELSE 0.0 END) AS saturated,
       avg(CASE WHEN verdict = 'dead' THEN 1.0 ELSE 0.0 END) AS dead,
       avg(CASE WHEN verdict = 'collapsed' THEN 1.0 ELSE 0.0 END) AS collapsed,
       avg(CASE WHEN verdict = 'frozen' THEN 1.0 ELSE 0.0 END) AS frozen,
       avg(CASE WHEN verdict = 'not_learning' THEN 1.0 ELSE 0.0 END) AS not_learning,
       avg(CASE WHEN verdict = 'progress_unknown' THEN 1.0 ELSE 0.0 END) AS progress_unknown,
       avg(CASE WHEN verdict = 'diverged' THEN 1.0 ELSE 0.0 END) AS diverged,
       avg(CASE WHEN verdict = 'failed' THEN 1.0 ELSE 0.0 END) AS failed,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(k.slope_delta, double(NULL))) AS median_slope_delta,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(k.slope_w, double(NULL))) AS median_slope_w,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(k.log10_slope_back, double(NULL))) AS median_slope_back,
       max(k.fixes) AS fixes, max(k.broken_contexts) AS broken_contexts,
       avg(CASE WHEN verdict = 'rank_collapse' THEN 1.0 ELSE 0.0 END) AS rank_collapse,
       avg(CASE WHEN verdict = 'logit_growth' THEN 1.0 ELSE 0.0 END) AS logit_growth,
       avg(CASE WHEN verdict = 'entropy_collapse' THEN 1.0 ELSE 0.0 END) AS entropy_collapse
FROM fx k WHERE k.value IS NOT NULL
GROUP BY k.axis, k.value;
