-- layer_profile: one row per run, step and layer (0 = nearest the input, n_layers - 1 = the output layer).
--   delta = ||delta_l||, the back-propagated signal, one definition per architecture:
--     plain nets (skip = none): the gradient at layer l's pre-activation, batch-summed: the bias gradient b, or with
--       a norm (dense layers without bias) the norm's beta gradient, which is the same sum taken at the norm's output,
--       the activation's input; the output layer's is its bias gradient.
--     block nets (skip != none, and every transformer): the gradient at block l's output, act_grad_l2 of the layers row of kind 'block'
--       (||dL/dy_l|| over batch x width); the output layer is not a block and has none (null).
--   delta_ref_layer: the layer delta is compared with: the output layer in plain nets, the last block in block nets
--     (the gradient the output layer sends into the stack; the same kind of quantity as the blocks' own).
--   grad_w = ||dL/dW_l||, update_ratio = update_l2 / param_l2 of W (block nets: the largest of the block's sublayers,
--   fc1, fc2, gate; recurrent layers: the larger of W_x's and W_h's), act_std = std of the layer's output (plain: the activation; block nets: the block output, the
--   stream; null for the output layer).
--   *_rel: relative to delta_ref_layer (delta), to the output layer (grad_w), to layer 0 (act_std).
--   slope_*: least-squares slope of log10(x) over the layer index within the step, in decades per layer, the
--   "decay per layer" of the textbooks. slope_w, slope_delta > 0: the gradient shrinks toward the input,
--   < 0: it grows toward the input. slope_act < 0: activations shrink with depth. Zeros and non-finite values are
--   left out of the fit.
--   dead_frac, saturated_frac: of the layer's dense activation rows only (kind 'dense': dense<l>, block<l>.fc1);
--   gate_mean, gate_saturated_frac: the highway transform gate of the block (kind 'gate'; null elsewhere).
--   Transformers (arch = 'transformer') are block nets whatever their skip: delta is the gradient at block l's output
--     (the stream after its feed-forward sublayer, the layers row of kind 'block'), the reference the last block;
--     the embeddings (layer -1) are the stem, the final norm and the head the output layer (depth).
--   Recurrent runs (cell != none) have rows too (their bias gradient as delta, summed over time; no act_std), but
--   the verdicts judge them through time (timestep_profile, memory), not by these depth profiles.
-- dL/dW_l mixes delta_l with the forward activations a_(l-1), so a flat slope_w can hide a decaying delta:
-- read slope_delta and slope_act beside it.
CREATE OR REPLACE TEMPORARY VIEW layer_profile AS
WITH p AS (
  SELECT run_id, step, layer,
         max(CASE WHEN param = 'W' THEN grad_l2 END) AS grad_w,
         max(CASE WHEN param = 'b' THEN grad_l2 END) AS grad_b,
         max(CASE WHEN param = 'beta' THEN grad_l2 END) AS grad_beta,
         max(CASE WHEN param IN ('W', 'W_x', 'W_h') THEN update_ratio END) AS update_ratio
  FROM params WHERE param IN ('W', 'W_x', 'W_h', 'b', 'beta') AND layer >= 0  -- block nets: the stem (layer -1) is not a block
  GROUP BY run_id, step, layer
), a AS (
  -- one pass over layers: a plain layer has one dense row, a block one row per kind
  SELECT run_id, step, layer,
         max(CASE WHEN kind = 'dense' THEN act_std END) AS dense_std,
         max(CASE WHEN kind = 'block' THEN act_std END) AS block_std,
         max(CASE WHEN kind = 'block' THEN act_grad_l2 END) AS block_grad,
         max(CASE WHEN kind = 'dense' THEN act_dead_frac END) AS dead_frac,
         max(CASE WHEN kind = 'dense' THEN act_saturated_frac END) AS saturated_frac,
         max(CASE WHEN kind = 'gate' THEN act_mean END) AS gate_mean,
         max(CASE WHEN kind = 'gate' THEN act_saturated_frac END) AS gate_saturated_frac
  FROM layers GROUP BY run_id, step, layer
), d AS (
  SELECT p.run_id, p.step, p.layer, r.n_layers,
         CASE WHEN r.plain THEN r.n_layers - 1 ELSE r.n_layers - 2 END AS delta_ref_layer,
         p.grad_w, p.update_ratio,
         CASE WHEN r.plain THEN coalesce(p.grad_b, p.grad_beta) ELSE l.block_grad END AS delta,
         CASE WHEN r.plain THEN l.dense_std ELSE l.block_std END AS act_std,
         l.dead_frac, l.saturated_frac, l.gate_mean, l.gate_saturated_frac
  FROM p
  JOIN (SELECT run_id, n_layers, skip = 'none' AND coalesce(arch, 'mlp') <> 'transformer' AS plain FROM runs) r
    ON r.run_id = p.run_id
  LEFT JOIN a l ON l.run_id = p.run_id AND l.step = p.step AND l.layer = p.layer
), j AS (
  SELECT d.*,
         max(CASE WHEN layer = n_layers - 1 THEN grad_w END) OVER w AS grad_w_out,
         max(CASE WHEN layer = delta_ref_layer THEN delta END) OVER w AS delta_ref,
         max(CASE WHEN layer = 0 THEN act_std END) OVER w AS act_std_in,
         regr_slope(CASE WHEN grad_w > 0 AND grad_w < double('Infinity') THEN log10(grad_w) END, layer) OVER w AS slope_w,
         regr_slope(CASE WHEN delta > 0 AND delta < double('Infinity') THEN log10(delta) END, layer) OVER w AS slope_delta,
         regr_slope(CASE WHEN act_std > 0 AND act_std < double('Infinity') THEN log10(act_std) END, layer) OVER w AS slope_act
  FROM d
  WINDOW w AS (PARTITION BY run_id, step)
)
SELECT run_id, step, layer, n_layers - 1 - layer AS from_output, delta_ref_layer,
       grad_w, delta, act_std, update_ratio,
       grad_w / grad_w_out AS grad_w_rel, delta / delta_ref AS delta_rel, act_std / act_std_in AS act_rel,
       slope_w, slope_delta, slope_act,
       dead_frac, saturated_frac, gate_mean, gate_saturated_frac
FROM j;
