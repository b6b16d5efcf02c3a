package dev.gradsweep.train.stack;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.TrainingMemory;
import java.util.Arrays;
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
 * The optimizer step of a stack (SGD, Nesterov momentum, Adam, with clipping and warmup) as a handful of ops over the
 * whole flat gradient buffer: per-run factors (learning rate at this step, clip scale, 1/batch) are per-element
 * multiplier vectors, and the momentum and Adam steps are ND4J's own updater ops, whose state is per element and
 * therefore per run.
 */
final class StackedOptimizer {
    private final StackLayout at;
    private final TrainingMemory memory;
    private final TrainSpec.Optimizer optimizer;
    /** The optimizer's configuration (momentum, Adam's betas and epsilon), equal in every run of the stack. */
    private final IUpdater updater;

    private final int batch;
    private final boolean valueClip;
    /**
     * Per-element multipliers, constant over each run's segments: the batch-summed gradient times gradScale is
     * what the optimizer consumes (SGD and momentum: lr · clip scale / batch; Adam: clip scale / batch); Adam's
     * update is computed at lr 1 and scaled by adamLr. invBound (value clipping) maps each run's bound c·batch to 1.
     */
    private final INDArray gradScale, adamLr, invBound;
    /** The value each run's segments hold in gradScale / adamLr, so they are rewritten only when it changes. */
    private final double[] gradScaleNow, adamLrNow;
    /** Momentum: the velocity; Adam: the first and second moments. Same layout as the gradient. */
    private final INDArray[] state;

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
        this.valueClip = valueClipBound != null;
        long total = at.length();
        gradScale = Nd4j.create(dt, total);
        adamLr = optimizer == TrainSpec.Optimizer.ADAM ? Nd4j.create(dt, total) : null;
        invBound = valueClip ? Nd4j.create(dt, total) : null;
        gradScaleNow = new double[at.k];
        adamLrNow = new double[at.k];
        Arrays.fill(gradScaleNow, Double.NaN); // nothing written yet
        Arrays.fill(adamLrNow, Double.NaN);
        int nState = optimizer == TrainSpec.Optimizer.ADAM ? 2 : optimizer == TrainSpec.Optimizer.MOMENTUM ? 1 : 0;
        state = new INDArray[nState];
        for (int i = 0; i < nState; i++) state[i] = Nd4j.zeros(dt, total);
        if (valueClip)
            for (int r = 0; r < at.k; r++) memory.fill(invBound, at.segments[r], 1.0 / (valueClipBound[r] * batch));
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
        setRun(gradScale, gradScaleNow, r, bound / batch * (adam ? 1 : lr));
        if (adam) setRun(adamLr, adamLrNow, r, lr);
    }

    /**
     * Run r learns no more: its gradient buffer (possibly NaN) and optimizer state are zeroed and its factors set to
     * 0, so its update is exactly 0 from the next step on and its NaN stays out of the later steps' ops.
     */
    void stop(int r) {
        memory.fill(at.flatGrad, at.segments[r], 0);
        for (INDArray s : state) memory.fill(s, at.segments[r], 0);
        setRun(gradScale, gradScaleNow, r, 0);
        if (adamLr != null) setRun(adamLr, adamLrNow, r, 0);
    }

    /** Turns the batch-summed gradient of every run into its update, in place, and applies it. */
    void apply(int step) {
        INDArray g = at.flatGrad;
        if (valueClip) {
            g.muli(invBound);
            Transforms.min(g, 1.0, false);
            Transforms.max(g, -1.0, false);
        }
        g.muli(gradScale);
        switch (optimizer) {
            case MOMENTUM: // v = μv − lr·g with lr already in the gradient
                Nd4j.exec(new NesterovsUpdater(g, state[0], 1.0, ((Nesterovs) updater).currentMomentum(step, 0)));
                break;
            case ADAM: { // the update is linear in lr: ND4J's Adam at lr 1, then each run's lr
                Adam a = (Adam) updater;
                Nd4j.exec(
                        new AdamUpdater(g, state[1], state[0], 1.0, a.getBeta1(), a.getBeta2(), a.getEpsilon(), step));
                g.muli(adamLr);
                break;
            }
            default:
                break; // SGD: the scaled gradient is the update
        }
        at.flatParams.subi(g);
    }

    /** Writes v over run r's segments of a per-element factor vector, when it changed. */
    private void setRun(INDArray flat, double[] now, int r, double v) {
        if (now[r] == v) return;
        memory.fill(flat, at.segments[r], v);
        now[r] = v;
    }
}
