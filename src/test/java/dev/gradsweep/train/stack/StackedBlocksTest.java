package dev.gradsweep.train.stack;

import static dev.gradsweep.train.stack.StackedMlpTest.run;
import static dev.gradsweep.train.stack.StackedMlpTest.train;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.train.MemoryRecorder;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Block nets (stem, residual / ReZero / highway blocks, layer or batch norm before or after the sum, the final norm,
 * plain nets with a norm) trained in one stack record the same numbers as the same runs trained one by one through
 * DL4J, and end with the same parameters (batch norm's running statistics included).
 */
class StackedBlocksTest {
    /**
     * float32's relative tolerance for these nets, derived as {@link StackedMlpTest.Agreement} derives the MLPs': the
     * longest dependency chain of one step, counted in roundings (width 6, inputs ≤ 5, batch 8, 3 blocks). Forward:
     * the stem's dot product and bias (6), per block a layer norm (two row means of 6, 7 each, and 6 elementwise
     * ops: 20), fc1 with its bias and activation (8), fc2 (7), the gain or the highway's difference and product (2)
     * and the sum (1), 38 a block; the final norm (20), the output layer (7), softmax and the loss gradient (6):
     * 6 + 3·38 + 20 + 7 + 6 = 153. Backward mirrors it (a norm's backward: two row means and 7 elementwise ops, 21;
     * the weight gradients sum 8 batch terms): about 150. So ~300 roundings, 300 u ≈ 1.8e-5, rounded up to 2e-5.
     * A batch norm in place of a layer norm costs about as much: a mean and a variance over the 8 batch rows and 6
     * elementwise ops forward (~24), two batch sums and ~9 elementwise ops backward (~25).
     */
    static final double BLOCK_FLOAT32 = 2e-5;

    /**
     * Every skip × norm × placement the grid has, across activations, optimizers, clipping, objectives. Batch norm's
     * statistics are per run over its own batch rows, so a run diverging in the stack must leave its stack-mates'
     * batch statistics untouched.
     */
    @ParameterizedTest
    @CsvSource({
        "RESIDUAL,NONE,NA,tanh,SGD,REGRESSION,none",
        "RESIDUAL,LAYER,PRE,relu,ADAM,REGRESSION,norm",
        "RESIDUAL,LAYER,PRE,gelu,SGD,CLASSIFICATION,none",
        "RESIDUAL,LAYER,PRE,gelu,MOMENTUM,REGRESSION,value",
        "RESIDUAL,LAYER,POST,relu,ADAM,CLASSIFICATION,value",
        "RESIDUAL,LAYER,POST,tanh,MOMENTUM,REGRESSION,norm",
        "REZERO,NONE,NA,tanh,ADAM,REGRESSION,none",
        "REZERO,LAYER,PRE,relu,MOMENTUM,CLASSIFICATION,norm",
        "REZERO,LAYER,POST,gelu,SGD,REGRESSION,value",
        "HIGHWAY,NONE,NA,tanh,MOMENTUM,REGRESSION,norm",
        "HIGHWAY,LAYER,PRE,relu,ADAM,REGRESSION,value",
        "HIGHWAY,LAYER,POST,sigmoid,SGD,CLASSIFICATION,none",
        "NONE,LAYER,NA,relu,ADAM,CLASSIFICATION,norm",
        "NONE,LAYER,NA,sigmoid,MOMENTUM,REGRESSION,value",
        "NONE,BATCH,NA,relu,ADAM,CLASSIFICATION,norm",
        "NONE,BATCH,NA,tanh,SGD,REGRESSION,value",
        "RESIDUAL,BATCH,PRE,relu,MOMENTUM,REGRESSION,norm",
        "RESIDUAL,BATCH,POST,gelu,ADAM,CLASSIFICATION,none",
        "REZERO,BATCH,PRE,tanh,SGD,REGRESSION,value",
        "REZERO,BATCH,POST,relu,MOMENTUM,CLASSIFICATION,norm",
        "HIGHWAY,BATCH,PRE,sigmoid,ADAM,REGRESSION,value",
        "HIGHWAY,BATCH,POST,tanh,SGD,CLASSIFICATION,none",
    })
    void blocksStackAsDl4jTrainsThem(
            Skip skip,
            Norm norm,
            Placement placement,
            String act,
            TrainSpec.Optimizer opt,
            TaskSpec.Objective objective,
            String clip) {
        TaskSpec task = StackedMlpTest.task(objective);
        for (TrainSpec.DType dt : TrainSpec.DType.values()) {
            double lr = opt == TrainSpec.Optimizer.ADAM ? 0.01 : 0.1;
            double wild = dt == TrainSpec.DType.FLOAT64 ? 1e300 : 1e30;
            // clipped and unclipped runs share a stack; the wild run is unclipped, so it overflows at once instead of
            // wandering through finite values whose squares overflow (no finite error scale for their mean)
            String[] clips = clip.equals("norm")
                    ? new String[] {"norm:0.02", "norm:0.5", "none"}
                    : clip.equals("value")
                            ? new String[] {"value:0.002", "value:0.01", "value:1"}
                            : new String[] {"none", "none", "none"};
            List<RunConfig> runs = List.of(
                    run(3, skip, norm, placement, act, "xavier", train(opt, lr, clips[0], 0, -1, dt), 1, task),
                    run(3, skip, norm, placement, act, "he", train(opt, lr / 3, clips[1], 3, -2, dt), 2, task),
                    run(3, skip, norm, placement, act, "xavier", train(opt, wild, clips[2], 2, -1, dt), 3, task));
            List<MemoryRecorder> alone = StackedMlpTest.assertStackEqualsOneByOne(runs, 2, BLOCK_FLOAT32);
            assertTrue(
                    alone.get(2).steps.size() >= 2 && alone.get(2).steps.size() < StackedMlpTest.STEPS,
                    "the test needs a run that diverges after an update");
        }
    }

    @AfterAll
    static void printWorst() {
        StackedMlpTest.Agreement.WORST.forEach((k, v) -> System.out.println("WORST " + k + " " + v));
    }
}
