package dev.gradsweep.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Log-softmax over each row as x − max − ln Σ exp(x − max): finite wherever the logits are. ND4J M2.1's
 * {@code LogSoftMax} op is not: in float32 it returns −∞ for a logit more than ~104 below its row's largest (the log
 * of an underflowed softmax), and the loss −Σ y·log p then reads −∞·0 = NaN although every gradient is finite. A conv
 * net without a norm reached such logits while its loss fell below 0.01 (conf/grids/conv_quick.yaml, step 45).
 */
public final class LogSoftmax {
    private LogSoftmax() {}

    /**
     * @param logits [rows, classes], unchanged
     * @param into [rows, classes]: log p
     * @param tmp [rows, classes] scratch
     */
    public static void rows(INDArray logits, INDArray into, INDArray tmp) {
        into.assign(logits).subiColumnVector(logits.max(true, 1));
        Transforms.exp(tmp.assign(into), false);
        into.subiColumnVector(Transforms.log(tmp.sum(true, 1), false));
    }
}
