package dev.gradsweep.train;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.update.FlatUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The parameter step of the engines that keep one flat parameter and gradient buffer (transformer, conv): statistics
 * of the mean-loss gradient before clipping, norm clipping (scale by c / ‖g‖ when ‖g‖ > c) or value clipping (each
 * element into [−c, c]), ND4J's updater over the flat buffer with the run's warmup, the update's statistics, then p ←
 * p − update. A non-finite loss or gradient applies no update and its statistics record none.
 */
public final class FlatStep {
    /** One step's parameter statistics (per segment) and totals; {@code updateL2} NaN when no update was applied. */
    public record Result(ParamStats[] stats, double gradL2, double updateL2, boolean finite) {}

    private final TrainSpec train;
    private final TrainingMemory memory;
    private final INDArray params, grad;
    private final Segment[] segments;
    private final GradientUpdater updater;

    public FlatStep(TrainSpec train, TrainingMemory memory, INDArray params, INDArray grad, Segment[] segments) {
        this.train = train;
        this.memory = memory;
        this.params = params;
        this.grad = grad;
        this.segments = segments;
        this.updater = FlatUpdater.over(train, params);
    }

    /**
     * Step {@code step} from the gradient in the buffer; {@code alsoReduce} queues the caller's own reductions of the
     * gradient (they complete at the same sync, before the updater overwrites the buffer).
     */
    public Result apply(int step, double loss, Runnable alsoReduce) {
        ParamStats[] ps = new ParamStats[segments.length];
        for (int i = 0; i < ps.length; i++) ps[i] = new ParamStats();
        memory.gradient(grad, params, segments, 1.0, ps);
        alsoReduce.run();
        memory.sync();
        double sq = 0;
        for (ParamStats p : ps) sq += p.sumSq;
        double gradL2 = Math.sqrt(sq), updL2 = Double.NaN;
        boolean finite = Double.isFinite(loss) && Double.isFinite(gradL2);
        if (finite) {
            clip(gradL2);
            updater.applyUpdater(grad, step, 0);
            memory.update(grad, segments, ps);
            memory.sync();
            updL2 = 0;
            for (ParamStats p : ps) updL2 += p.updateSumSq;
            updL2 = Math.sqrt(updL2);
            params.subi(grad);
        } else {
            for (ParamStats p : ps) p.noUpdate(); // recorded as null, not as a zero update
        }
        return new Result(ps, finite ? gradL2 : Double.NaN, updL2, finite);
    }

    private void clip(double gradL2) {
        String kind = TrainSpec.clipKind(train.clip);
        double c = TrainSpec.clipValue(train.clip);
        if (kind.equals("norm") && gradL2 > c) grad.muli(TrainingMemory.clipFactor(gradL2, c));
        else if (kind.equals("value")) {
            Transforms.min(grad, c, false);
            Transforms.max(grad, -c, false);
        }
    }
}
