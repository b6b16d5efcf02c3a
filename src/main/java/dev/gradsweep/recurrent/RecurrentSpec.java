package dev.gradsweep.recurrent;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Cell;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.RecInit;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TrainSpec;

/**
 * The shape and initialization of a recurrent network: {@code depth} stacked recurrent layers of {@code width}
 * units over {@code seqLen} steps, then a dense output layer on the last step's hidden state of the top layer.
 * {@code groups} = 0: regression (identity output, MSE); groups = k ≥ 1: k softmax groups of outputs/k classes,
 * cross-entropy averaged over the groups (k = 1 is the feed-forward nets' softmax + cross-entropy).
 *
 * @param activation rnn only (lstm and gru use sigmoid gates and tanh); one of {@link Cell#RNN_ACTIVATIONS}
 * @param inputInit  W_x and the output layer's W, the feed-forward initializers
 * @param forgetBias LSTM forget-gate bias (the other biases start at 0)
 */
public record RecurrentSpec(
        Cell cell,
        Activation activation,
        int depth,
        int width,
        int seqLen,
        int inputs,
        int outputs,
        int groups,
        RecInit recInit,
        Init inputInit,
        double forgetBias,
        TrainSpec.DType dtype,
        long seed) {

    public RecurrentSpec {
        if (depth < 1 || width < 1 || seqLen < 1 || inputs < 1 || outputs < 1)
            throw new IllegalArgumentException("sizes must be positive");
        if (groups < 0 || (groups > 0 && outputs % groups != 0))
            throw new IllegalArgumentException("outputs " + outputs + " not divisible into " + groups + " groups");
        if (!cell.recurrent()) throw new IllegalArgumentException("cell none is not recurrent");
        if (cell == Cell.RNN && !Cell.rnnActivation(activation))
            throw new IllegalArgumentException(
                    "rnn activation " + activation.key + ": allowed " + Cell.RNN_ACTIVATIONS);
        if (cell != Cell.RNN) activation = Activation.TANH;
    }

    /** A spec for a task: its inputs, outputs and groups. */
    public static RecurrentSpec of(
            Cell cell,
            Activation act,
            int depth,
            int width,
            SequenceTask task,
            int seqLen,
            RecInit rec,
            Init in,
            TrainSpec.DType dtype,
            long seed) {
        return new RecurrentSpec(
                cell,
                act,
                depth,
                width,
                seqLen,
                task.inputs(),
                task.outputs(),
                task.groups(),
                rec,
                in,
                TrainSpec.DEFAULT_FORGET_BIAS,
                dtype,
                seed);
    }

    /** A grid run's spec: cell, activation, depth, width, seq_len, rec_init, init (W_x), forget bias, dtype and seed. */
    public static RecurrentSpec of(RunConfig rc, SequenceTask task) {
        return of(
                        rc.cell,
                        rc.activation,
                        rc.depth,
                        rc.width,
                        task,
                        rc.seqLen,
                        rc.recInit,
                        rc.init,
                        rc.train.dtype,
                        rc.seed)
                .withForgetBias(rc.train.forgetBias);
    }

    public RecurrentSpec withForgetBias(double b) {
        return new RecurrentSpec(
                cell, activation, depth, width, seqLen, inputs, outputs, groups, recInit, inputInit, b, dtype, seed);
    }

    public RecurrentSpec withDtype(TrainSpec.DType d) {
        return new RecurrentSpec(
                cell,
                activation,
                depth,
                width,
                seqLen,
                inputs,
                outputs,
                groups,
                recInit,
                inputInit,
                forgetBias,
                d,
                seed);
    }

    /** Name of recurrent layer l in parameter rows: the cell's key and the index ({@code lstm0}); the output is {@code output}. */
    public String layerName(int l) {
        return l == depth ? "output" : cell.key + l;
    }
}
