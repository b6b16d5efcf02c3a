package dev.gradsweep.stats;

/**
 * Where a training loop sends what it measured, row by row (the tables of docs/schema.md). Narrow on purpose: the loop knows
 * nothing of Parquet, and a test can record into memory.
 */
public interface RunRecorder {
    void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs);

    /**
     * The loss on sequences never trained on (modadd's held-out pairs) of the parameters the next {@link #step} row
     * starts from: that row's heldout_loss. Steps without one leave it null.
     */
    default void heldOutLoss(double loss) {}

    void param(int step, Segment segment, ParamStats stats);

    /** @param outGradL2 ‖∂L/∂a‖ over the batch of the mean loss for outputs with a gradient tap, NaN for the others */
    void layer(int step, LayerInfo layer, ActStats stats, double outGradL2);

    /**
     * The next {@link #layer} row's response_std: the std of the layer's response (He et al. 2016, Fig. 7: a conv
     * layer's output after its norm, before the activation or the residual sum). Rows without one leave it null.
     */
    default void layerResponse(double std) {}

    /** One recurrent layer at one time step (recurrent runs only; feed-forward loops never call it). */
    default void timeStep(int step, TimeStepStats stats) {}

    /** One head of one transformer block (transformer runs only; other loops never call it). */
    default void attention(int step, AttentionStats stats) {}

    /**
     * Rows the recorder could not store (a full disk): the failure of the run's task, not of the run, so the engines
     * rethrow it instead of recording the run as failed, and the task's runs are trained again by its retry or by
     * {@code --resume}.
     */
    final class NotRecorded extends RuntimeException {
        public NotRecorded(String message, Throwable cause) {
            super(message + ": " + cause, cause);
        }
    }

    /** Records nothing: the bare training loop that the statistics are benchmarked against. */
    RunRecorder NONE = new RunRecorder() {
        @Override
        public void step(int step, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {}

        @Override
        public void param(int step, Segment segment, ParamStats stats) {}

        @Override
        public void layer(int step, LayerInfo layer, ActStats stats, double outGradL2) {}
    };
}
