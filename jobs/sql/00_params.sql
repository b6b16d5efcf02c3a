-- Parameters of the analysis views: the one place their defaults live (gradsweep reads this file at run time).
-- Override with `gradsweep sql --conf KEY=VALUE`, `gradsweep report --conf KEY=VALUE`, or a SET statement after
-- this file and before the view files. Views take the values in force when they are created.
-- The comment line above each SET is its documentation (shown by `gradsweep sql --help`).

-- A layer is starved when its delta (bias gradient) is below this fraction of the output layer's (stalls, verdicts).
SET gradsweep.vanish_ratio=1e-3;
-- Exploding when layer 0's delta, or the last hidden layer's activation scale, exceeds this multiple of its reference.
SET gradsweep.explode_ratio=1e3;
-- Loss plateau: the loss "improves" when its running best drops by this fraction within loss_window steps.
SET gradsweep.loss_min_improve=0.01;
-- Window, in steps, of the loss plateau test (an integer).
SET gradsweep.loss_window=20;
-- A layer is frozen in a step when its weight update ratio (update_l2 / param_l2) is below this.
SET gradsweep.frozen_update_ratio=1e-4;
-- Saturated when the mean act_saturated_frac (sigmoid/tanh family, over hidden layers and steps) exceeds this.
SET gradsweep.saturated_frac=0.5;
-- Dead when the mean act_dead_frac (ReLU family, over hidden layers and steps) exceeds this.
SET gradsweep.dead_frac=0.5;
-- Diverged when the run stopped on a non-finite value, or its last loss exceeds this multiple of its first.
SET gradsweep.diverge_loss_ratio=10;
