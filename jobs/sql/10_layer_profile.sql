-- layer_profile: one row per run, step and layer (0 = nearest the input, n_layers - 1 = the output layer).
--   grad_w = ||dL/dW_l||, delta = ||dL/db_l|| (the back-propagated signal), act_std = std of the layer's output
--   (null for the output layer), update_ratio = update_l2 / param_l2 of W.
--   *_rel: relative to the output layer (grad_w, delta) or to layer 0 (act_std).
--   slope_*: least-squares slope of log10(x) over the layer index within the step, in decades per layer, the
--   "decay per layer" of the textbooks. slope_w, slope_delta > 0: the gradient shrinks toward the input,
--   < 0: it grows toward the input. slope_act < 0: activations shrink with depth. Zeros are left out of the fit.
-- Block nets (skip != none): a layer is a block; its W/b rows are the largest of its sublayers' (fc1, fc2, gate).
-- dL/dW_l mixes delta_l with the forward activations a_(l-1), so a flat slope_w can hide a decaying delta:
-- read slope_delta and slope_act beside it.
CREATE OR REPLACE TEMPORARY VIEW layer_profile AS
WITH p AS (
  SELECT run_id, step, layer,
         max(CASE WHEN param = 'W' THEN grad_l2 END) AS grad_w,
         max(CASE WHEN param = 'b' THEN grad_l2 END) AS delta,
         max(CASE WHEN param = 'W' THEN update_ratio END) AS update_ratio
  FROM params WHERE param IN ('W', 'b') AND layer >= 0  -- block nets: the stem (layer -1) is not a block
  GROUP BY run_id, step, layer
), a AS (
  -- one activation row per layer: the dense output (block nets also record gate and block-output rows)
  SELECT run_id, step, layer, max(act_std) AS act_std FROM layers WHERE kind = 'dense' GROUP BY run_id, step, layer
), j AS (
  SELECT p.run_id, p.step, p.layer, r.n_layers, p.grad_w, p.delta, l.act_std, p.update_ratio,
         max(CASE WHEN p.layer = r.n_layers - 1 THEN p.grad_w END) OVER w AS grad_w_out,
         max(CASE WHEN p.layer = r.n_layers - 1 THEN p.delta END) OVER w AS delta_out,
         max(CASE WHEN p.layer = 0 THEN l.act_std END) OVER w AS act_std_in,
         regr_slope(log10(p.grad_w), p.layer) OVER w AS slope_w,
         regr_slope(log10(p.delta), p.layer) OVER w AS slope_delta,
         regr_slope(log10(l.act_std), p.layer) OVER w AS slope_act
  FROM p
  JOIN runs r ON r.run_id = p.run_id
  LEFT JOIN a l ON l.run_id = p.run_id AND l.step = p.step AND l.layer = p.layer
  WINDOW w AS (PARTITION BY p.run_id, p.step)
)
SELECT run_id, step, layer, n_layers - 1 - layer AS from_output,
       grad_w, delta, act_std, update_ratio,
       grad_w / grad_w_out AS grad_w_rel, delta / delta_out AS delta_rel, act_std / act_std_in AS act_rel,
       slope_w, slope_delta, slope_act
FROM j;
