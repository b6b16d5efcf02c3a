package dev.gradsweep.train.stack;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ParamStep;
import dev.gradsweep.stats.RunFactors;
import dev.gradsweep.stats.TrainingMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.api.ops.impl.updaters.NesterovsUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The optimizer step of a stack (SGD, Nesterov momentum, Adam, with clipping and warmup) as a handful of passes over
 * the whole flat gradient buffer: per-run factors (learning rate at this step, value-clip bound, 1/batch) are
 * {@link RunFactors}, applied by the stack's {@link TrainingMemory} (on the host, one pass per factor with no
 * per-element factor vector; the last pass also subtracts the update from the parameters), and the momentum and
 * Adam steps are ND4J's own updater ops, whose state is per element and therefore per run.
 */
final class StackedOptimizer {
    private final StackLayout at;
    private final TrainingMemory memory;
    private final TrainSpec.Optimizer optimizer;
    /** The optimizer's configuration (momentum, Adam's betas and epsilon), equal in every run of the stack. */
    private final IUpdater updater;

    private final int batch;
    /**
     * The batch-summed gradient (norm-clipped already) times gradScale is what the optimizer consumes (SGD and
     * momentum: lr / batch; Adam: 1 / batch, times the value-clip bound when the stack clips by value); Adam's update is computed at lr 1 and scaled by adamLr. invBound (value
     * clipping) maps each run's bound c·batch to 1; null when the stack does not clip by value.
     */
    private final RunFactors gradScale, adamLr, invBound;
    /** Momentum: the velocity; Adam: the first and second moments. Same layout as the gradient. */
    private final INDArray[] state;
    /** Momentum's p ← p − u. */
    private final ParamStep step;

    /** @param valueClipBound per run, c of its "value:c" rule (only when the stack clips by value) */
    StackedOptimizer(
            StackLayout at,
            TrainSpec.Optimizer optimizer,
            IUpdater updater,
            int batch,
            double[] valueClipBound,
            DataType dt,
            TrainingMemory memory) {
        this.at = at;
        this.memory = memory;
        this.optimizer = optimizer;
        this.updater = updater;
        this.batch = batch;
        long total = at.length();
        gradScale = new RunFactors(at.segments);
        adamLr = optimizer == TrainSpec.Optimizer.ADAM ? new RunFactors(at.segments) : null;
        invBound = valueClipBound != null ? new RunFactors(at.segments) : null;
        int nState = optimizer == TrainSpec.Optimizer.ADAM ? 2 : optimizer == TrainSpec.Optimizer.MOMENTUM ? 1 : 0;
        state = new INDArray[nState];
        for (int i = 0; i < nState; i++) state[i] = Nd4j.zeros(dt, total);
        step = optimizer == TrainSpec.Optimizer.MOMENTUM ? memory.paramStep(at.flatParams, at.flatGrad) : null;
        if (invBound != null) for (int r = 0; r < at.k; r++) invBound.set(r, 1.0 / (valueClipBound[r] * batch));
    }

    static boolean isValueClip(TrainSpec t) {
        return TrainSpec.clipKind(t.clip).equals("value");
    }

    /** What the stack's shared optimizer step uses of a run's DL4J updater: everything but the learning rate. */
    static String hyperparameters(IUpdater u) {
        if (u instanceof Nesterovs n) return "nesterovs " + n.getMomentum() + " " + n.getMomentumISchedule();
        if (u instanceof Adam a) return "adam " + a.getBeta1() + " " + a.getBeta2() + " " + a.getEpsilon();
        if (u instanceof Sgd) return "sgd";
        throw new IllegalArgumentException("no stacked step for updater " + u);
    }

    /**
     * Run r's factors for this step, as TrainLoop applies them: value clipping bounds the batch-summed gradient by
     * c·batch (the clamp works on the gradient divided by that bound, so the bound comes back here), then 1/batch,
     * then the learning rate. Norm clipping has scaled the gradient already (TrainingMemory.clipByNorm: its norm
     * need not reach the host first).
     */
    void setScales(int r, TrainSpec t, int step) {
        String kind = TrainSpec.clipKind(t.clip);
        double c = TrainSpec.clipValue(t.clip), lr = t.lrAt(step);
        double bound = kind.equals("value") ? c * batch : 1;
        boolean adam = optimizer == TrainSpec.Optimizer.ADAM;
        gradScale.set(r, bound / batch * (adam ? 1 : lr));
        if (adam) adamLr.set(r, lr);
    }

    /**
     * Run r learns no more: its gradient buffer (possibly NaN) and optimizer state are zeroed and its factors set to
     * 0, so its update is exactly 0 from the next step on and its NaN stays out of the later steps' ops.
     */
    void stop(int r) {
        memory.fill(at.flatGrad, at.segments[r], 0);
        for (INDArray s : state) memory.fill(s, at.segments[r], 0);
        gradScale.set(r, 0);
        if (adamLr != null) adamLr.set(r, 0);
    }

    /** Turns the batch-summed gradient of every run into its update, in place, and applies it. */
    void apply(int step) {
        INDArray g = at.flatGrad;
        if (invBound != null) {
            memory.scale(g, invBound, null);
            Transforms.min(g, 1.0, false);
            Transforms.max(g, -1.0, false);
        }
        switch (optimizer) {
            case MOMENTUM: // v = μv − lr·g with lr already in the gradient
                memory.scale(g, gradScale, null);
                Nd4j.exec(new NesterovsUpdater(g, state[0], 1.0, ((Nesterovs) updater).currentMomentum(step, 0)));
                this.step.apply();
                break;
            case ADAM: { // the update is linear in lr: ND4J's Adam at lr 1, then each run's lr
                memory.scale(g, gradScale, null);
                Adam a = (Adam) updater;
                Nd4j.exec(
                        new AdamUpdater(g, state[1], state[0], 1.0, a.getBeta1(), a.getBeta2(), a.getEpsilon(), step));
                memory.scale(g, adamLr, at.flatParams);
                break;
            }
            default: // SGD: the scaled gradient is the update
                memory.scale(g, gradScale, at.flatParams);
                break;
        }
    }
}
