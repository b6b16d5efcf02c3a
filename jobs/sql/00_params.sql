-- Parameters of the analysis views: the one place their defaults live (gradsweep reads this file at run time).
-- Override with `gradsweep sql --conf KEY=VALUE`, `gradsweep report --conf KEY=VALUE`, or a SET statement after
-- this file and before the view files. Views take the values in force when they are created.
-- The comment line above each SET is its documentation (shown by `gradsweep sql --help`).

-- A layer is starved when its delta is below this fraction of its reference's (output layer; block nets: last block).
SET gradsweep.vanish_ratio=1e-3;
-- Exploding when layer 0's delta, or the last hidden layer's activation scale, exceeds this multiple of its reference.
SET gradsweep.explode_ratio=1e3;
-- Loss plateau: a window improves only if the later windows' mean loss is also this fraction below its mean.
SET gradsweep.loss_min_improve=0.01;
-- Window, in steps, of the loss plateau test (an integer): the loss is smoothed into means over windows this long.
SET gradsweep.loss_window=20;
-- Loss plateau: a window improves when the later windows' mean is this many standard errors below its mean.
SET gradsweep.loss_noise_z=3;
-- A layer is frozen in a step when its weight update ratio (update_l2 / param_l2) is below this.
SET gradsweep.frozen_update_ratio=1e-4;
-- Saturated when the mean act_saturated_frac of the dense activations (over hidden layers and steps) exceeds this.
SET gradsweep.saturated_frac=0.5;
-- Dead when the mean act_dead_frac of the dense activations (over hidden layers and steps) exceeds this.
SET gradsweep.dead_frac=0.5;
-- Learning: a run learns when it closes at least this fraction of the gap (runs.gap_closed); otherwise never healthy.
SET gradsweep.min_gap_closed=0.1;
-- Collapsed when a run does not learn and its last hidden layer's activation scale is below this fraction of layer 0's.
SET gradsweep.collapse_ratio=0.1;
-- Diverged when the run stopped on a non-finite value, or its last loss exceeds this multiple of its first.
SET gradsweep.diverge_loss_ratio=10;
-- Rank collapse (transformers): the last block's token_cos_mean at step 0 above this: its tokens start indistinguishable.
SET gradsweep.rank_collapse_cos=0.99;
-- Logit growth (transformers): the largest attention logit of the last window is this multiple of step 0's (and max_logit).
SET gradsweep.logit_growth_ratio=10;
-- Logit growth (transformers): ... and above this bound (a key this far below the largest gets e^-bound of its weight).
SET gradsweep.max_logit=30;
-- Entropy collapse (transformers): the lowest head's entropy over the last window, as a fraction of uniform's, below this.
SET gradsweep.entropy_collapse=0.1;
