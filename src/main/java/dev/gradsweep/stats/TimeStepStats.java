package dev.gradsweep.stats;

/**
 * One recurrent layer at one time step of one training step, reduced over the [batch × width] minibatch in double.
 *
 * @param hGradL2       ‖∂L/∂h_t‖: the total derivative of the mean loss through time and depth (every path from h_t to
 *                      the loss: the next step of this layer, the layer above at t, the output), as the backward pass
 *                      stores it (float32 runs: the float32 value)
 * @param hGradZeros    exact zeros among those count elements (underflow is counted, not hidden)
 * @param hGradNonfinite NaN or ±Inf elements
 * @param cGradL2       LSTM: ‖∂L/∂c_t‖, the total derivative at the cell state; NaN for rnn and gru
 * @param hMeanAbs      mean |h_t|
 * @param satFrac       share of the cell's squashing activation with |f'(z)| below 1 % of its maximum (rnn: f of h_t,
 *                      for f that saturate, else NaN; lstm: the block input a; gru: the candidate n)
 * @param slopeSqMean   mean f'(z)² of that same activation (rnn: NaN where the output does not determine f')
 * @param gateMean      lstm: mean forget gate f; gru: mean update gate z (the share of h₋ kept); NaN for rnn
 */
public record TimeStepStats(
        int layer,
        String layerName,
        int t,
        long count,
        double hGradL2,
        long hGradZeros,
        long hGradNonfinite,
        double cGradL2,
        double hMeanAbs,
        double satFrac,
        double slopeSqMean,
        double gateMean) {
    public double hGradZeroFrac() {
        return count == 0 ? 0 : (double) hGradZeros / count;
    }
}
