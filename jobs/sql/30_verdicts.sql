-- attention_evidence: the evidence of the attention verdicts, one row per run with attention rows (transformers),
-- from the `attention` table. "Last window": the steps loss_last averages (the last runs.loss_window steps).
-- Entropies are fractions of uniform attention's: entropy_mean / H_u, H_u the mean over queries of ln(keys seen),
-- ln T for the bidirectional tasks, (1/T) sum_{i=1..T} ln i = ln(T!) / T under the causal mask of text (query i sees
-- i keys), so 1 is uniform attention and 0 a single key at every seq_len (null for T = 1: one key, no choice).
--   entropy_last       mean over blocks, heads and the last window
--   entropy_low        the lowest head's: min over (block, head) of its mean over the last window;
--                      entropy_low_layer / _head: that head
--   max_logit_first    the largest attention logit at step 0; max_logit_last: the largest over the last window
--   token_cos_first    the last block's token_cos_mean at step 0 (tokens indistinguishable: 1); _last: its mean
--                      over the last window
CREATE OR REPLACE TEMPORARY VIEW attention_evidence AS
WITH a AS (
  SELECT a.*, a.step = 0 AS first, a.step >= r.steps_done - coalesce(r.loss_window, 1) AS last,
         a.layer = r.depth - 1 AS last_block,
         a.entropy_mean / nullif(CASE WHEN r.task LIKE 'text{%'
                                      THEN aggregate(sequence(1, r.seq_len), 0D, (acc, i) -> acc + ln(i)) / r.seq_len
                                      ELSE ln(r.seq_len) END, 0) AS entropy
  FROM attention a JOIN runs r ON r.run_id = a.run_id
), h AS (
  SELECT run_id, layer, head,
         avg(CASE WHEN last THEN entropy END) AS entropy,
         max(CASE WHEN first THEN max_logit END) AS logit_first, max(CASE WHEN last THEN max_logit END) AS logit_last,
         avg(CASE WHEN first AND last_block THEN token_cos_mean END) AS cos_first,
         avg(CASE WHEN last AND last_block THEN token_cos_mean END) AS cos_last
  FROM a GROUP BY run_id, layer, head
)
SELECT run_id, avg(entropy) AS entropy_last, min(entropy) AS entropy_low,
       min_by(layer, entropy) AS entropy_low_layer, min_by(head, entropy) AS entropy_low_head,
       max(logit_first) AS max_logit_first, max(logit_last) AS max_logit_last,
       avg(cos_first) AS token_cos_first, avg(cos_last) AS token_cos_last
FROM h GROUP BY run_id;
-- verdict_evidence: one row per run, its verdict, the evidence beside it and the reason in words (the `verdicts`
-- view adds the advice, try, in 50_advice.sql). Rules, first match wins:
--   failed       status = 'failed' (an exception, see error)
--   diverged     status = 'diverged' (a non-finite loss or gradient), or loss_last > diverge_loss_ratio x loss_first
--   exploding    log10_delta_in > log10(explode_ratio), or log10_act_out > log10(explode_ratio); recurrent runs:
--                through time, -log10_last_over_first > log10(explode_ratio) (dL/dh_0 that many times dL/dh_(T-1))
--   dead         dead_frac > gradsweep.dead_frac
--   saturated    saturated_frac > gradsweep.saturated_frac
--   collapsed    the forward signal: log10_act_out < log10(vanish_ratio), or the run does not learn and
--                log10_act_out < log10(collapse_ratio)
--   rank_collapse     transformers: the run does not learn and token_cos_first > rank_collapse_cos (the last
--                block's tokens indistinguishable at step 0: the architecture, e.g. no skips, Noci et al. 2022)
--   logit_growth      transformers: the run does not learn, max_logit_last > logit_growth_ratio x max_logit_first
--                and > max_logit (Dehghani et al. 2023; Wortsman et al. 2023)
--   entropy_collapse  transformers: the run does not learn and entropy_low < entropy_collapse (Zhai et al. 2023)
--   vanishing    the backward signal: log10_delta_in < log10(vanish_ratio), or the input layer is frozen
--                (update_ratio_in < frozen_update_ratio) and moves less than vanish_ratio x the output layer;
--                recurrent runs: through time, memory_horizon < seq_len (dL/dh_t falls below vanish_ratio x the
--                last time step's before it reaches t = 0)
--   frozen       the run does not learn and every layer's median update ratio is below frozen_update_ratio
--   not_learning the run does not learn, and none of the above says why
--   progress_unknown  none of the above, and whether the run learns is unknown: gap_closed is null or NaN (a loss
--                baseline <= 0, e.g. a table task whose target is constant, or no finite loss)
--   healthy      none of the above
-- "Does not learn": gap_closed < gradsweep.min_gap_closed, gap_closed = 1 - loss_last / loss_baseline (runs; the
-- baseline is the loss of the best constant predictor). An unknown gap_closed (null, NaN) never counts as not
-- learning, nor as learning: such a run is never healthy. The forward collapse comes before the backward rules
-- because a net whose output does not depend on its input cannot learn however well the gradient flows, and its
-- output layer barely moves either (its weight gradient is delta times the collapsed input): frozen is left for runs
-- whose signals are fine and whose updates are not.
-- Evidence, medians over the run's steps (layer_stalls): log10_delta_in = log10(delta_0 / delta_ref) (the
-- back-propagated signal reaching layer 0; delta_ref_layer: the output layer, block nets: the last block),
-- log10_act_out = log10(act_std of the last hidden layer / act_std of layer 0) (the forward signal), slope_delta /
-- slope_w / slope_act (see layer_profile), update_ratio_in / _out / _max (layer 0, output layer, the largest layer),
-- saturated_frac, dead_frac: means over the hidden layers' dense activations and steps; gate_mean,
-- gate_saturated_frac: the highway gates, on their own (null without gates); stall_layer, starved_layers,
-- frozen_layers as in stalls, starved_layer_set the starved layers themselves, compactly ('0–3, 7': they need not be
-- contiguous), stall_step from loss_plateaus, steps the run's train setting. Weight gradients alone can mislead
-- (slope_w is shown, never used by a rule).
-- The attention rules (attention_evidence; null evidence for other runs, so they never fire there) explain a stall:
-- a run that learns is healthy however sharp its attention (reverse and sort are solved by one-key attention). They
-- sit after the forward collapse and before vanishing: rank collapse at step 0 is the architecture's (Noci et al.:
-- it also starves Q and K of gradient), grown logits saturate the softmax, whose gradient then vanishes; logit
-- growth before entropy collapse, its usual cause. Tokens that become indistinguishable during training are not
-- rank_collapse: every run measured that stalls at the constant predictor ends so, whatever the cause.
-- Recurrent runs (cell != none) are judged through time, with the same rule order and the same progress rules: their
-- depth evidence (delta, act scale, slopes, dead, stall layer) is null, since a depth-1 stack's bias gradients are
-- summed over time and the engine writes no layers rows. Their evidence, medians over steps of the bottom recurrent
-- layer (layer 0: every input's weight gradient passes through its dL/dh_t) in memory: memory_horizon,
-- log10_slope_back (the fitted decay, decades per step back), log10_last_over_first; saturated_frac is the mean
-- act_saturated_frac over every recurrent layer, time step and step; update ratios include W_x and W_h.
CREATE OR REPLACE TEMPORARY VIEW verdict_evidence AS
WITH prof AS (
  SELECT l.run_id,
         max(l.delta_ref_layer) AS delta_ref_layer,
         max(CASE WHEN l.layer = 0 THEN l.log10_delta_rel END) AS log10_delta_in,
         max(CASE WHEN l.layer = r.n_layers - 2 THEN l.log10_act_rel END) AS log10_act_out,
         max(CASE WHEN l.layer = 0 THEN l.slope_delta END) AS slope_delta,
         max(CASE WHEN l.layer = 0 THEN l.slope_w END) AS slope_w,
         max(CASE WHEN l.layer = 0 THEN l.slope_act END) AS slope_act,
         max(CASE WHEN l.layer = 0 THEN l.update_ratio END) AS update_ratio_in,
         max(CASE WHEN l.layer = r.n_layers - 1 THEN l.update_ratio END) AS update_ratio_out,
         max(l.update_ratio) AS update_ratio_max,
         avg(l.saturated_frac) AS saturated_frac, avg(l.dead_frac) AS dead_frac,
         avg(l.gate_mean) AS gate_mean, avg(l.gate_saturated_frac) AS gate_saturated_frac,
         -- as in stalls, without reading layer_stalls a second time
         max(CASE WHEN l.log10_delta_rel < log10(${gradsweep.vanish_ratio}) THEN l.layer END) AS stall_layer,
         count_if(l.log10_delta_rel < log10(${gradsweep.vanish_ratio})) AS starved_layers,
         array_sort(collect_list(CASE WHEN l.log10_delta_rel < log10(${gradsweep.vanish_ratio}) THEN l.layer END)) AS starved,
         count_if(l.frozen_from IS NOT NULL AND (r.status <> 'diverged' OR l.frozen_from < r.steps_done - 1)) AS frozen_layers
  FROM layer_stalls l JOIN runs r ON r.run_id = l.run_id
  GROUP BY l.run_id
), tt AS (
  -- through time (recurrent runs only)
  SELECT run_id,
         -- exact medians, as in layer_stalls
         int(percentile_disc(0.5) WITHIN GROUP (ORDER BY CASE WHEN layer = 0 THEN memory_horizon END)) AS memory_horizon,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(CASE WHEN layer = 0 THEN log10_slope_back END, double(NULL))) AS log10_slope_back,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY nanvl(CASE WHEN layer = 0 THEN log10_last_over_first END, double(NULL))) AS log10_last_over_first,
         avg(act_saturated_frac) AS saturated_frac
  FROM memory GROUP BY run_id
), e AS (
  SELECT r.*, t.memory_horizon, t.log10_slope_back, t.log10_last_over_first, r.cell <> 'none' AS recurrent,
         x.entropy_last, x.entropy_low, x.entropy_low_layer, x.entropy_low_head, x.max_logit_first,
         x.max_logit_last, x.token_cos_first, x.token_cos_last,
         CASE WHEN r.cell = 'none' THEN p.delta_ref_layer END AS delta_ref_layer,
         CASE WHEN r.cell = 'none' THEN p.log10_delta_in END AS log10_delta_in,
         CASE WHEN r.cell = 'none' THEN p.log10_act_out END AS log10_act_out,
         CASE WHEN r.cell = 'none' THEN p.slope_delta END AS slope_delta,
         CASE WHEN r.cell = 'none' THEN p.slope_w END AS slope_w,
         CASE WHEN r.cell = 'none' THEN p.slope_act END AS slope_act,
         p.update_ratio_in, p.update_ratio_out, p.update_ratio_max,
         CASE WHEN r.cell = 'none' THEN p.saturated_frac ELSE t.saturated_frac END AS saturated_frac,
         CASE WHEN r.cell = 'none' THEN p.dead_frac END AS dead_frac,
         p.gate_mean, p.gate_saturated_frac,
         CASE WHEN r.cell = 'none' THEN p.stall_layer END AS stall_layer,
         CASE WHEN r.cell = 'none' THEN p.starved_layers END AS starved_layers,
         -- runs of consecutive layers: a run starts where the previous layer is not starved, ends where the next is not
         CASE WHEN r.cell = 'none' AND size(p.starved) > 0 THEN
           concat_ws(', ', zip_with(filter(p.starved, (x, i) -> p.starved[greatest(i - 1, 0)] <> x - 1),
                                    filter(p.starved, (x, i) -> p.starved[least(i + 1, size(p.starved) - 1)] <> x + 1),
                                    (a, b) -> CASE WHEN a = b THEN string(a) ELSE concat(a, '–', b) END)) END AS starved_layer_set,
         s.stall_step, p.frozen_layers,
         r.gap_closed < ${gradsweep.min_gap_closed} AS not_learning,
         r.gap_closed IS NULL OR isnan(r.gap_closed) AS progress_unknown,
         CASE WHEN r.gap_closed IS NULL OR isnan(r.gap_closed) THEN
                CASE WHEN r.loss_baseline <= 0
                     THEN format_string('progress is unknown: the best constant predictor\'s loss is %.3g, so there is no gap to close (a constant target?); the loss went from %.3g to %.3g',
                                        r.loss_baseline, r.loss_first, r.loss_last)
                     WHEN r.loss_baseline IS NULL THEN 'progress is unknown: the run has no loss baseline'
                     ELSE 'progress is unknown: the run has no finite loss' END
              WHEN r.gap_closed < 0 THEN format_string('the run ends at %.3g times the best constant predictor\'s loss (%.3g)',
                                                       r.loss_last / r.loss_baseline, r.loss_baseline)
              ELSE format_string('the run closed %.1f%% of the gap to the best constant predictor', 100 * r.gap_closed) END AS progress,
         CASE WHEN r.skip = 'none' AND coalesce(r.arch, 'mlp') <> 'transformer' THEN 'the output layer\'s'
              ELSE 'the last block\'s' END AS ref_name,
         format_string('through time the gradient reaches t = 0 (‖∂L/∂h_t‖ stays above %s of the last time step\'s over all T = %d steps; fitted %+.3f decades per step back)',
                       '${gradsweep.vanish_ratio}', r.seq_len, t.log10_slope_back) AS through_time
  FROM runs r
  LEFT JOIN prof p ON p.run_id = r.run_id
  LEFT JOIN tt t ON t.run_id = r.run_id
  LEFT JOIN loss_plateaus s ON s.run_id = r.run_id
  LEFT JOIN attention_evidence x ON x.run_id = r.run_id
), v AS (
  SELECT e.*,
         -- a listener's or a factory's run may record no activation statistics: say so rather than "10^null"
         CASE WHEN log10_act_out IS NULL THEN 'no activation scale recorded'
              ELSE format_string('the activation scale 10^%.1f of layer 0\'s', log10_act_out) END AS act_scale,
         CASE WHEN status = 'failed' THEN 'failed'
              WHEN status = 'diverged' OR NOT (loss_last <= ${gradsweep.diverge_loss_ratio} * loss_first) THEN 'diverged'
              WHEN log10_delta_in > log10(${gradsweep.explode_ratio})
                OR log10_act_out > log10(${gradsweep.explode_ratio})
                OR -log10_last_over_first > log10(${gradsweep.explode_ratio}) THEN 'exploding'
              WHEN dead_frac > ${gradsweep.dead_frac} THEN 'dead'
              WHEN saturated_frac > ${gradsweep.saturated_frac} THEN 'saturated'
              WHEN log10_act_out < log10(${gradsweep.vanish_ratio})
                OR (not_learning AND log10_act_out < log10(${gradsweep.collapse_ratio})) THEN 'collapsed'
              WHEN not_learning AND token_cos_first > ${gradsweep.rank_collapse_cos} THEN 'rank_collapse'
              WHEN not_learning AND max_logit_last > ${gradsweep.logit_growth_ratio} * max_logit_first
                AND max_logit_last > ${gradsweep.max_logit} THEN 'logit_growth'
              WHEN not_learning AND entropy_low < ${gradsweep.entropy_collapse} THEN 'entropy_collapse'
              WHEN log10_delta_in < log10(${gradsweep.vanish_ratio})
                OR (NOT recurrent AND update_ratio_in < ${gradsweep.frozen_update_ratio}
                    AND update_ratio_in < ${gradsweep.vanish_ratio} * update_ratio_out)
                OR memory_horizon < seq_len THEN 'vanishing'
              WHEN not_learning AND update_ratio_max < ${gradsweep.frozen_update_ratio} THEN 'frozen'
              WHEN not_learning THEN 'not_learning'
              WHEN progress_unknown THEN 'progress_unknown'
              ELSE 'healthy' END AS verdict
  FROM e
)
SELECT run_id, sweep, depth, width, activation, init, norm, placement, skip, task, optimizer, lr, batch, clip, dtype, seed,
       cell, seq_len, rec_init, forget_bias,
       verdict,
       CASE verdict
         WHEN 'failed' THEN concat('the run failed: ', coalesce(error, 'no message'))
         WHEN 'diverged' THEN
           CASE WHEN status = 'diverged'
                THEN format_string('the loss or a gradient became non-finite at step %d', steps_done - 1)
                ELSE format_string('the loss rose from %.3g to %.3g, more than %s times', loss_first, loss_last,
                                   '${gradsweep.diverge_loss_ratio}') END
             || CASE WHEN recurrent AND -log10_last_over_first > 0
                     THEN format_string(' (through time ‖∂L/∂h_0‖ was 10^%.1f times ‖∂L/∂h_{T−1}‖, median over steps)',
                                        -log10_last_over_first)
                     ELSE '' END
         WHEN 'exploding' THEN
           CASE WHEN recurrent
                THEN format_string('through time ‖∂L/∂h_0‖ is 10^%.1f times ‖∂L/∂h_{T−1}‖ (above %s; fitted %+.3f decades per step back over T = %d); %s',
                                   -log10_last_over_first, '${gradsweep.explode_ratio}', log10_slope_back, seq_len,
                                   progress)
                WHEN log10_delta_in > log10(${gradsweep.explode_ratio})
                THEN format_string('δ at layer 0 is 10^%.1f times %s (above %s; slope %.2f decades per layer)',
                                   log10_delta_in, ref_name, '${gradsweep.explode_ratio}', slope_delta)
                ELSE format_string('the activation scale grows to 10^%.1f times layer 0\'s at the last hidden layer (above %s)',
                                   log10_act_out, '${gradsweep.explode_ratio}') END
         WHEN 'dead' THEN format_string('%.0f%% of the dense units are dead (mean over hidden layers and steps; threshold %.0f%%)',
                                        100 * dead_frac, 100D * ${gradsweep.dead_frac})
         WHEN 'saturated' THEN format_string('%.0f%% of the %s are saturated (mean over %s and steps; threshold %.0f%%)',
                                             100 * saturated_frac,
                                             CASE WHEN recurrent THEN 'recurrent cell activations' ELSE 'dense activations' END,
                                             CASE WHEN recurrent THEN 'recurrent layers, time steps' ELSE 'hidden layers' END,
                                             100D * ${gradsweep.saturated_frac})
         WHEN 'collapsed' THEN format_string('the activation scale shrinks to 10^%.1f of layer 0\'s at the last hidden layer (%.2f decades per layer)%s',
                                             log10_act_out, slope_act,
                                             CASE WHEN not_learning THEN '; ' || progress ELSE '' END)
         WHEN 'rank_collapse' THEN format_string('the last block\'s tokens are indistinguishable from the start: their mean pairwise cosine is %.4f at step 0 (above %s; %.3f in the last %d steps); %s',
                                                 token_cos_first, '${gradsweep.rank_collapse_cos}', token_cos_last, loss_window, progress)
         WHEN 'logit_growth' THEN format_string('the largest attention logit grew from %.3g at step 0 to %.3g in the last %d steps (more than %s times, and above %s); the lowest head\'s entropy is %.2f of uniform (block %d, head %d); %s',
                                                max_logit_first, max_logit_last, loss_window, '${gradsweep.logit_growth_ratio}',
                                                '${gradsweep.max_logit}', entropy_low, entropy_low_layer, entropy_low_head, progress)
         WHEN 'entropy_collapse' THEN format_string('attention entropy collapsed: block %d head %d\'s is %.3f of uniform attention\'s in the last %d steps (below %s; mean over heads %.2f); the largest logit %.3g (step 0: %.3g); %s',
                                                    entropy_low_layer, entropy_low_head, entropy_low, loss_window,
                                                    '${gradsweep.entropy_collapse}', entropy_last, max_logit_last,
                                                    max_logit_first, progress)
         WHEN 'vanishing' THEN
           CASE WHEN recurrent
                THEN format_string('through time ‖∂L/∂h_t‖ falls below %s of the last time step\'s %d steps back: memory horizon %d of T = %d (fitted %+.3f decades per step back; ‖∂L/∂h_{T−1}‖ / ‖∂L/∂h_0‖ = 10^%.1f)',
                                   '${gradsweep.vanish_ratio}', memory_horizon, memory_horizon, seq_len, log10_slope_back,
                                   log10_last_over_first)
                WHEN log10_delta_in < log10(${gradsweep.vanish_ratio})
                THEN format_string('δ at layer 0 is 10^%.1f of %s; %s %s below %s', log10_delta_in, ref_name,
                                   CASE WHEN starved_layers = 1 THEN 'layer ' ELSE 'layers ' END || starved_layer_set,
                                   CASE WHEN starved_layers = 1 THEN 'is' ELSE 'are' END, '${gradsweep.vanish_ratio}')
                ELSE format_string('layer 0\'s update ratio is %.1e, 10^%.1f of the output layer\'s (δ at layer 0 is 10^%.1f of %s)',
                                   update_ratio_in, log10(update_ratio_in / update_ratio_out), log10_delta_in, ref_name) END
             || CASE WHEN not_learning THEN '; ' || progress ELSE '' END
         WHEN 'frozen' THEN format_string('every layer\'s median update ratio is below %s (largest %.1e); %s',
                                          '${gradsweep.frozen_update_ratio}', update_ratio_max, progress)
         WHEN 'not_learning' THEN
           CASE WHEN recurrent
                THEN format_string('%s (learning needs %s of the gap), although %s and the largest update ratio is %.1e',
                                   progress, '${gradsweep.min_gap_closed}', through_time, update_ratio_max)
                ELSE format_string('%s (learning needs %s of the gap), although δ at layer 0 is 10^%.1f of %s, %s and the largest update ratio %.1e',
                                   progress, '${gradsweep.min_gap_closed}', log10_delta_in, ref_name, act_scale,
                                   update_ratio_max) END
         WHEN 'progress_unknown' THEN
           CASE WHEN recurrent
                THEN format_string('%s; %s', progress, through_time)
                ELSE format_string('%s; δ at layer 0 is 10^%.1f of %s, %s',
                                   progress, log10_delta_in, ref_name, act_scale) END
         ELSE
           CASE WHEN recurrent
                THEN format_string('closed %.0f%% of the gap; %s', 100 * gap_closed, through_time)
                ELSE format_string('closed %.0f%% of the gap; δ at layer 0 is 10^%.1f of %s, %s',
                                   100 * gap_closed, log10_delta_in, ref_name, act_scale) END END AS reason,
       status, steps_done, loss_first, loss_last, loss_baseline, gap_closed,
       log10_delta_in, log10_act_out, delta_ref_layer, slope_delta, slope_w, slope_act,
       saturated_frac, dead_frac, gate_mean, gate_saturated_frac, update_ratio_in, update_ratio_out, update_ratio_max,
       stall_layer, starved_layers, stall_step, frozen_layers, memory_horizon, log10_slope_back, log10_last_over_first,
       error, starved_layer_set, steps, warmup, highway_gate_bias, arch, heads, ffn, positions, stages, groups,
       model, custom,
       entropy_last, entropy_low, entropy_low_layer, entropy_low_head, max_logit_first, max_logit_last,
       token_cos_first, token_cos_last
FROM v;
-- Cached (lazily): axis_effects and verdicts read it (UNCACHE: as for layer_stalls).
UNCACHE TABLE IF EXISTS verdict_evidence;
CACHE LAZY TABLE verdict_evidence;
