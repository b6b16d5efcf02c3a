-- verdicts: verdict_evidence with the advice beside each verdict's reason: try, what to try, and try_from, where
-- it comes from (both null for healthy runs). From the sweep itself first: a value of another axis that is healthy
-- in every run of this run's configuration with every other axis held fixed (the same contexts as axis_effects),
-- the values that fix the most configurations in axis_effects first, at most three (try_from = 'sweep'). Otherwise
-- the textbook fix for the verdict (try_from = 'textbook'). Axis values are written as in a grid file.
-- A view after axis_effects (which is built on verdict_evidence), so nothing depends on itself.
CREATE OR REPLACE TEMPORARY VIEW verdicts AS
WITH e AS (
  -- one linear chain from verdict_axes to the result: each run's row rides along as the struct r, so the view
  -- reads verdict_evidence once (and once more through axis_effects), not once per join
  SELECT struct(x.*) AS r, x.verdict, x.axis, x.value, x.context FROM verdict_axes x
), w AS (
  SELECT e.*, bool_and(verdict = 'healthy') OVER (PARTITION BY axis, context, value) AS ok FROM e
), o AS (
  SELECT w.*, collect_set(CASE WHEN ok THEN value END) OVER (PARTITION BY axis, context) AS ok_values FROM w
), alt AS (
  -- for a run that is not healthy: the other values of the axis that are healthy in its context (none: a null row)
  SELECT o.r, o.axis, c.value
  FROM o LATERAL VIEW OUTER explode(filter(o.ok_values, x -> x <> o.value AND o.verdict <> 'healthy')) c AS value
), fix AS (
  SELECT alt.r, alt.axis, alt.value, coalesce(f.fixes, 0) AS fixes, coalesce(f.broken_contexts, 0) AS broken
  FROM alt LEFT JOIN axis_effects f ON f.axis = alt.axis AND f.value = alt.value
), fixes AS (
  SELECT any_value(r) AS a,
         collect_list(CASE WHEN value IS NOT NULL THEN struct(-fixes AS rank, axis, value, fixes, broken) END) AS found
  FROM fix GROUP BY r.run_id
), s AS (
  SELECT a,
         CASE WHEN size(found) > 0 THEN
           concat_ws('; ', transform(slice(array_sort(found), 1, 3),
             x -> format_string('%s: %s (healthy in the same configuration; in the sweep it fixes %d of %d broken configurations)',
                                x.axis, x.value, x.fixes, x.broken))) END AS try
  FROM fixes
)
SELECT a.run_id, a.sweep, a.depth, a.width, a.activation, a.init, a.norm, a.placement, a.skip, a.task, a.optimizer,
       a.lr, a.batch, a.clip, a.dtype, a.seed, a.cell, a.seq_len, a.rec_init, a.forget_bias, a.verdict, a.reason,
       CASE WHEN a.verdict <> 'healthy' THEN coalesce(s.try, CASE a.verdict
         WHEN 'failed' THEN 'read the error: the run stopped on an exception'
         WHEN 'diverged' THEN 'a smaller lr, or clip: norm:1'
         WHEN 'exploding' THEN
           CASE WHEN a.cell = 'none'
                THEN 'clip: norm:1, or smaller weights (a smaller σw: init xavier, lecun or normal:<σw> with σw² ≤ 1)'
                WHEN a.clip = 'none' THEN 'clip: norm:1, or rec_init: orthogonal (spectral radius 1: no growth through time)'
                ELSE concat('rec_init: orthogonal (spectral radius 1: no growth through time); clip: ', a.clip,
                            ' already bounds each step') END
         WHEN 'dead' THEN 'activation: leakyrelu, or a smaller lr'
         WHEN 'saturated' THEN
           CASE WHEN a.cell = 'none' THEN 'smaller initial weights (init: xavier or he), or norm: batch | layer'
                ELSE 'smaller input weights (init: xavier), or a smaller recurrent scale (rec_init: orthogonal, or spectral:<ρ> with ρ ≤ 1)' END
         WHEN 'collapsed' THEN 'init: he (keeps the forward scale of ReLU nets), or norm: batch | layer'
         WHEN 'rank_collapse' THEN 'skip: residual (or rezero, or deepnorm under post: a scaled residual branch), with norm: layer, placement: pre'
         WHEN 'logit_growth' THEN 'a smaller lr (or train.warmup); qk-layernorm or a z-loss on the logits bound them (not in gradsweep), as weight decay on Q and K does'
         WHEN 'entropy_collapse' THEN 'a smaller lr, or train.warmup; placement: pre; σReparam or qk-layernorm (not in gradsweep) bound the attention logits'
         WHEN 'vanishing' THEN
           CASE WHEN a.cell = 'rnn'
                THEN 'cell: lstm or gru (a gated, additive path through time), or activation: relu with rec_init: identity (IRNN)'
                WHEN a.cell = 'lstm' THEN 'a larger train.forget_bias (the cell state decays by the forget gate each step), or cell: gru'
                WHEN a.cell = 'gru' THEN 'rec_init: orthogonal, or cell: lstm with train.forget_bias: 1'
                WHEN a.arch = 'transformer' AND a.placement = 'post'
                THEN 'placement: pre, or skip: deepnorm (post-LN with a scaled residual), or train.warmup with a smaller lr'
                WHEN a.arch = 'transformer' THEN 'skip: residual with norm: layer, placement: pre; or train.warmup with a smaller lr'
                WHEN a.activation IN ('sigmoid', 'tanh', 'softsign', 'hardsigmoid', 'hardtanh')
                THEN 'activation: relu with init: he, or skip: residual (a path around the saturating slopes)'
                ELSE 'init: he, or skip: residual with norm: layer, placement: pre' END
         WHEN 'frozen' THEN 'a larger lr: every layer moves less than ${gradsweep.frozen_update_ratio} of its size per step'
         WHEN 'not_learning' THEN 'more steps or a larger lr; if the gap stays near 0, check that the targets depend on the inputs'
         WHEN 'progress_unknown' THEN
           CASE WHEN a.loss_baseline <= 0
                THEN 'check the task\'s target: a constant predictor already fits it exactly (a constant label column?); judge progress by loss_first → loss_last'
                ELSE 'read the loss columns: gap_closed needs a finite loss_last and a positive loss_baseline' END
       END) END AS try,
       CASE WHEN a.verdict = 'healthy' THEN NULL WHEN s.try IS NOT NULL THEN 'sweep' ELSE 'textbook' END AS try_from,
       a.status, a.steps_done, a.loss_first, a.loss_last, a.loss_baseline, a.gap_closed,
       a.log10_delta_in, a.log10_act_out, a.delta_ref_layer, a.slope_delta, a.slope_w, a.slope_act,
       a.saturated_frac, a.dead_frac, a.gate_mean, a.gate_saturated_frac,
       a.update_ratio_in, a.update_ratio_out, a.update_ratio_max,
       a.stall_layer, a.starved_layers, a.stall_step, a.frozen_layers,
       a.memory_horizon, a.log10_slope_back, a.log10_last_over_first, a.error, a.starved_layer_set,
       a.steps, a.warmup, a.highway_gate_bias, a.arch, a.heads, a.ffn, a.positions, a.stages, a.groups, a.model,
       a.custom,
       a.entropy_last, a.entropy_low, a.entropy_low_layer, a.entropy_low_head, a.max_logit_first, a.max_logit_last,
       a.token_cos_first, a.token_cos_last
FROM s;
