package dev.gradsweep.train.stack;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;

/**
 * What one run adds to a {@link StackedMlp}'s memory, counted from the buffers its constructor and parts allocate,
 * part by part as {@link StackedMlp}'s {@code build} creates them: the flat parameters and gradients
 * ({@link StackLayout}), the optimizer's state ({@link StackedOptimizer}), every [K, batch, units] buffer of the parts
 * and the [K, units] rows of batch norm, the input, target and output-gradient buffers, the host copies of outputs
 * and targets, the run's sample order and its generated task data (a table task's data is shared by the stack). The Java objects of
 * the statistics and the Parquet writers' buffers are not counted. StackMemoryTest checks the count against the
 * buffers of constructed stacks of every architecture.
 */
public final class StackMemory {
    private long params, perExample, rows;

    private StackMemory() {}

    /** Bytes one run adds to a stack of runs like {@code rc}. */
    public static long bytesPerRun(RunConfig rc) {
        StackMemory m = new StackMemory();
        m.count(rc);
        TrainSpec t = rc.train;
        int states = t.optimizer == TrainSpec.Optimizer.ADAM ? 2 : t.optimizer == TrainSpec.Optimizer.MOMENTUM ? 1 : 0;
        long values = m.params * (2 + states) + (long) t.batch * m.perExample + m.rows;
        long host = 2L * t.batch * rc.task.outputs; // StackedMlp's outHost, yHost
        if (rc.task.kind != TaskSpec.Kind.TABLE) host += (long) rc.task.samples * (rc.task.inputs + rc.task.outputs);
        return values * (t.dtype == TrainSpec.DType.FLOAT64 ? 8 : 4)
                + host * Double.BYTES
                + (long) rc.task.samples * Integer.BYTES; // Batches' sample order
    }

    private void count(RunConfig rc) {
        int w = rc.width, in = rc.task.inputs, out = rc.task.outputs;
        Activation act = rc.activation;
        if (rc.skip == Skip.NONE) {
            for (int l = 0; l < rc.depth; l++) {
                int from = l == 0 ? in : w;
                if (rc.norm == Norm.NONE) dense(from, w, act, true, l > 0);
                else {
                    dense(from, w, Activation.IDENTITY, false, l > 0);
                    norm(rc.norm, w);
                    perExample += 2L * w; // Activate: a, z
                }
            }
        } else {
            dense(in, w, Activation.IDENTITY, true, false); // the stem
            boolean normed = rc.norm != Norm.NONE;
            for (int l = 0; l < rc.depth; l++) {
                if (normed) norm(rc.norm, w); // before or after the sum
                dense(w, w, act, true, true); // fc1
                perExample += w; // Residual's sum
                if (rc.skip == Skip.HIGHWAY) {
                    dense(w, w, Activation.SIGMOID, true, true); // the gate
                    perExample += 4L * w; // diff, dT, dH, dxDirect
                } else {
                    dense(w, w, Activation.IDENTITY, true, true); // fc2
                    if (rc.skip == Skip.REZERO) {
                        params += 1; // α
                        perExample += 2L * w; // Gain: y, dx
                    }
                }
            }
            if (normed && rc.placement == Placement.PRE) norm(rc.norm, w); // the final norm
        }
        dense(rc.skip == Skip.NONE && rc.depth == 0 ? in : w, out, Activation.IDENTITY, true, true); // the output
        perExample += in + 2L * out; // x, y, dOut
    }

    /** {@link Dense}: W (and b); z, a unless the identity, ∂L/∂x unless the first layer. */
    private void dense(int in, int out, Activation act, boolean bias, boolean needDx) {
        params += (long) in * out + (bias ? out : 0);
        perExample += out + (act == Activation.IDENTITY ? 0 : out) + (needDx ? in : 0);
    }

    /**
     * {@link StackedLayerNorm}: γ, β; TrainingMemory.LayerNormBuffers' four [K, batch, n] buffers and three values
     * per example. {@link StackedBatchNorm}: γ, β and the running mean and log-std; five [K, batch, n] buffers and
     * six [K, n] rows.
     */
    private void norm(Norm kind, int n) {
        if (kind == Norm.LAYER) {
            params += 2L * n;
            perExample += 4L * n + 3;
        } else {
            params += 4L * n;
            perExample += 5L * n;
            rows += 6L * n;
        }
    }
}
