package dev.gradsweep.recurrent;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TimeStepStats;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.update.FlatUpdater;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Trains a {@link RecurrentNet} on a {@link SequenceTask} with the feed-forward runs' conventions: statistics of the
 * mean-loss gradient before clipping, norm clipping (scale by c / ‖g‖ when ‖g‖ > c) or value clipping (each element
 * into [−c, c]) of that gradient, then ND4J's SGD / Nesterov momentum 0.9 / Adam updater over the flat buffer with
 * the run's warmup schedule, then p ← p − update. A non-finite loss or gradient is recorded and its update is not
 * applied; the run is then {@link #diverged()}.
 */
public final class RecurrentTrainer {
    /** Held-out samples start here, far past any training index. */
    static final long EVAL_OFFSET = 1L << 50;

    private final RecurrentNet net;
    private final SequenceTask task;
    private final TrainSpec train;
    private final long dataSeed;
    private final GradientUpdater updater;
    private final INDArray params, grad;
    private final Segment[] segments;
    private final double[] xs, ys;
    /** The statistics' access to the flat buffers (the net's gate loops are host-only: {@link HostBuf}). */
    private final TrainingMemory memory = TrainingMemory.forBackend();

    private final double[] total = new double[1];
    private int step;
    private boolean diverged;

    public RecurrentTrainer(RecurrentSpec spec, SequenceTask task, TrainSpec train) {
        this.net = new RecurrentNet(spec, train.batch);
        this.task = task;
        this.train = train;
        this.dataSeed = spec.seed();
        this.params = net.params();
        this.grad = net.gradient();
        this.segments = net.segments();
        this.updater = FlatUpdater.over(train, params);
        this.xs = new double[spec.seqLen() * train.batch * spec.inputs()];
        this.ys = new double[train.batch * spec.outputs()];
    }

    public RecurrentNet net() {
        return net;
    }

    public boolean diverged() {
        return diverged;
    }

    public int stepsDone() {
        return step;
    }

    public boolean hasNext() {
        return !diverged && step < train.steps;
    }

    public StepResult step(boolean withStats) {
        long t0 = System.nanoTime();
        MemoryGuard.check();
        int batch = train.batch, seqLen = net.spec().seqLen();
        task.fill(dataSeed, (long) step * batch, batch, seqLen, xs, ys);
        net.setBatch(xs, ys);
        double loss = net.computeGradient(withStats);
        ParamStats[] ps = new ParamStats[withStats ? segments.length : 0];
        double sq = 0;
        if (withStats) {
            for (int i = 0; i < segments.length; i++) ps[i] = new ParamStats();
            memory.gradient(grad, params, segments, 1.0, ps);
            memory.sync();
            for (ParamStats x : ps) sq += x.sumSq;
        } else sq = sumSq(grad);
        double gradL2 = Math.sqrt(sq);
        boolean finite = Double.isFinite(loss) && Double.isFinite(gradL2);
        double updL2 = Double.NaN;
        if (finite) {
            clip(gradL2);
            updater.applyUpdater(grad, step, 0);
            if (withStats) {
                memory.update(grad, segments, ps);
                memory.sync();
                updL2 = 0;
                for (ParamStats x : ps) updL2 += x.updateSumSq;
                updL2 = Math.sqrt(updL2);
            } else updL2 = Math.sqrt(sumSq(grad));
            params.subi(grad);
        } else {
            diverged = true;
            for (ParamStats p : ps) p.noUpdate(); // recorded as null, not as a zero update
        }
        List<TimeStepStats> ts = withStats ? net.timeSteps() : List.of();
        double ms = (System.nanoTime() - t0) / 1e6;
        return new StepResult(
                step++, loss, finite ? gradL2 : Double.NaN, updL2, train.lrAt(step - 1), finite, segments, ps, ts, ms);
    }

    private void clip(double gradL2) {
        String kind = TrainSpec.clipKind(train.clip);
        double c = TrainSpec.clipValue(train.clip);
        if (kind.equals("norm") && gradL2 > c) grad.muli(c / gradL2);
        else if (kind.equals("value")) {
            Transforms.min(grad, c, false);
            Transforms.max(grad, -c, false);
        }
    }

    /** Mean loss over {@code batches} held-out minibatches (samples no training step draws). */
    public double evaluate(int batches) {
        int batch = train.batch, seqLen = net.spec().seqLen();
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            task.fill(dataSeed, EVAL_OFFSET + (long) i * batch, batch, seqLen, xs, ys);
            net.setBatch(xs, ys);
            sum += net.loss();
        }
        return sum / batches;
    }

    private double sumSq(INDArray a) {
        memory.sumSq(a, total, 0);
        memory.sync();
        return total[0];
    }
}
