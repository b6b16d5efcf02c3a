-- axis_effects: "what fixes it" in one table. One row per grid axis that varies in the sweep and per value:
-- the share of runs per verdict and the median slopes (decades per layer, see layer_profile; median_slope_back:
-- recurrent runs' fitted decay through time, decades per step back, see timestep_profile).
-- Holding the other axes fixed: a context is one combination of every other axis (seeds are replicates, not
-- axes). Where some context holds every value of the axis, only such complete contexts count (held_fixed = true),
-- so the values are compared on the same configurations, otherwise every run counts (held_fixed = false).
--   fixes / broken_contexts: in how many of the contexts where some value of this axis is not healthy, this value
--   is healthy in every run.
-- Recurrent axes (cell, seq_len, rec_init, forget_bias) are axes like the others; forget_bias exists for lstm only
-- (null for other cells), so it is left out of the cell axis's contexts, or lstm would never share one with gru/rnn.
-- Built on verdict_evidence, not verdicts: verdicts takes its advice (try) from here (50_advice.sql).
CREATE OR REPLACE TEMPORARY VIEW axis_effects AS
WITH a AS (
  SELECT v.*, map('depth', cast(depth AS string), 'width', cast(width AS string), 'activation', activation,
                  'init', init, 'norm', norm, 'placement', placement, 'skip', skip, 'task', task,
                  'optimizer', optimizer, 'lr', cast(lr AS string), 'batch', cast(batch AS string), 'clip', clip,
                  'dtype', dtype, 'cell', cell, 'seq_len', cast(seq_len AS string), 'rec_init', rec_init,
                  'forget_bias', cast(forget_bias AS string)) AS axes
  FROM verdict_evidence v
), e AS (
  SELECT a.*, x.axis, x.value,
         concat_ws('|', transform(filter(map_entries(a.axes), y -> y.key <> x.axis AND NOT (x.axis = 'cell' AND y.key = 'forget_bias')), y -> y.value)) AS context
  FROM a LATERAL VIEW explode(a.axes) x AS axis, value
), varying AS (
  SELECT axis, count(DISTINCT value) AS n_values FROM e GROUP BY axis HAVING count(DISTINCT value) > 1
), ctx AS (
  SELECT e.axis, e.context, count(DISTINCT e.value) = max(v.n_values) AS complete
  FROM e JOIN varying v ON v.axis = e.axis GROUP BY e.axis, e.context
), m AS (
  SELECT e.*, c.complete, max(c.complete) OVER (PARTITION BY e.axis) AS held_fixed
  FROM e JOIN ctx c ON c.axis = e.axis AND c.context = e.context
), kept AS (
  SELECT * FROM m WHERE complete OR NOT held_fixed
), cv AS (
  SELECT axis, context, value, bool_and(verdict = 'healthy') AS ok FROM kept GROUP BY axis, context, value
), cx AS (
  SELECT axis, context, bool_and(ok) AS all_ok FROM cv GROUP BY axis, context
), fx AS (
  SELECT cv.axis, cv.value, count_if(cv.ok AND NOT cx.all_ok) AS fixes, count_if(NOT cx.all_ok) AS broken_contexts
  FROM cv JOIN cx ON cx.axis = cv.axis AND cx.context = cv.context
  GROUP BY cv.axis, cv.value
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
       avg(CASE WHEN verdict = 'diverged' THEN 1.0 ELSE 0.0 END) AS diverged,
       avg(CASE WHEN verdict = 'failed' THEN 1.0 ELSE 0.0 END) AS failed,
       percentile_approx(k.slope_delta, 0.5) AS median_slope_delta,
       percentile_approx(k.slope_w, 0.5) AS median_slope_w,
       percentile_approx(k.log10_slope_back, 0.5) AS median_slope_back,
       max(f.fixes) AS fixes, max(f.broken_contexts) AS broken_contexts
FROM kept k JOIN fx f ON f.axis = k.axis AND f.value = k.value
GROUP BY k.axis, k.value;
