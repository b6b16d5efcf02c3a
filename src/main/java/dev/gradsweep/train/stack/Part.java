package dev.gradsweep.train.stack;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A piece of a stacked network, as one DL4J layer or vertex group computes it, on [K, batch, units] arrays (K runs'
 * minibatches side by side). Every buffer is allocated once, and a part never writes the arrays it is given (a
 * block adds its skip's share into a buffer of its own children). Parameter gradients are batch-summed, as DL4J's,
 * and overwrite the layout's gradient views.
 */
abstract class Part {
    /** @return this part's output, valid until its next forward */
    abstract INDArray forward(INDArray x);

    /** The buffer {@link #forward} returns (the same array every step). */
    abstract INDArray output();

    /**
     * @param dy ∂L/∂(output) of the batch-summed loss
     * @return ∂L/∂x (null for the network's first part, whose input is the data)
     */
    abstract INDArray backward(INDArray dy);
}
