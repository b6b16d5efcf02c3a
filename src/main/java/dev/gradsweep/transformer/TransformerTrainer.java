package dev.gradsweep.transformer;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.AttentionStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.FlatStep;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.transformer.TransformerNet.HeadStats;
import dev.gradsweep.transformer.TransformerNet.Tap;
import dev.gradsweep.transformer.task.TokenBatch;
import dev.gradsweep.transformer.task.TokenTask;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trains a {@link TransformerNet} on a {@link TokenTask} with the conventions of the other engines
 * ({@code RecurrentTrainer}): statistics of the mean-loss gradient before clipping, norm clipping (scale by c / ‖g‖
 * when ‖g‖ > c) or value clipping (each element into [−c, c]), then ND4J's SGD / Nesterov momentum / Adam updater
 * over the flat buffer with the run's warmup, then p ← p − update. A non-finite loss or gradient is recorded, its
 * update is not applied, and the run ends diverged. Every step records its steps row, a params row per array, a
 * layers row per stream tap and an attention row per block × head; modadd's steps rows carry the held-out loss every
 * {@code task.eval_every} steps.
 */
public final class TransformerTrainer {
    private final TransformerNet net;
    private final TokenTask task;
    private final TrainSpec train;
    private final TrainingMemory memory;
    private final FlatStep flatStep;
    private final INDArray params, grad;
    private final Segment[] segments;
    private final TokenBatch batch;
    private final int[] targets;
    private final LayerInfo[] taps;
    /** modadd's held-out pairs; null for tasks without them or with eval_every 0. */
    private final HeldOutLoss heldOut;
    /** Called after each backward pass, before the statistics and the update (doctor's recomputation). */
    Runnable afterBackward = () -> {};

    private int step;
    private boolean diverged;

    public TransformerTrainer(TransformerSpec spec, TokenTask task, TrainSpec train, TrainingMemory memory) {
        this.net = new TransformerNet(spec, train.batch, memory);
        this.task = task;
        this.train = train;
        this.memory = memory;
        this.params = net.params();
        this.grad = net.gradient();
        this.segments = net.segments();
        this.flatStep = new FlatStep(train, memory, params, grad, segments);
        this.batch = new TokenBatch(train.batch, spec.context());
        this.targets = new int[batch.tokens.length];
        int n = net.tapCount();
        this.taps = new LayerInfo[n];
        this.heldOut = HeldOutLoss.of(task, train.batch);
    }

    public TransformerNet net() {
        return net;
    }

    boolean hasNext() {
        return !diverged && step < train.steps;
    }

    /** One step, recorded into {@code rec} and booked into {@code out}. */
    public void step(RunRecorder rec, RunOutcome out) {
        long t0 = System.nanoTime();
        MemoryGuard.check();
        // of the parameters this step starts from, as its training loss; outside step_ms, which times training
        if (heldOut != null && heldOut.due(step, train.steps)) {
            rec.heldOutLoss(heldOut.evaluate(net));
            t0 = System.nanoTime();
        }
        task.fill((long) step * train.batch, batch);
        for (int i = 0; i < targets.length; i++) targets[i] = batch.mask[i] ? batch.targets[i] : -1;
        net.setBatch(batch.tokens, targets);
        double loss = net.computeGradient(true);
        afterBackward.run();
        FlatStep.Result r = flatStep.apply(step, loss, () -> {});
        ParamStats[] ps = r.stats();
        boolean finite = r.finite();
        if (!finite) diverged = true;
        ActStats[] acts = streamStats();
        List<HeadStats> heads = net.attention();
        double ms = (System.nanoTime() - t0) / 1e6;
        rec.step(step, loss, r.gradL2(), r.updateL2(), train.lrAt(step), ms);
        for (int i = 0; i < ps.length; i++) rec.param(step, segments[i], ps[i]);
        for (int i = 0; i < acts.length; i++) rec.layer(step, taps[i], acts[i], net.tapDelta(i));
        for (HeadStats h : heads)
            rec.attention(
                    step,
                    new AttentionStats(
                            h.layer(), h.head(), h.entropyMean(), h.entropyMin(), h.maxLogit(), h.tokenCosine()));
        out.endStep(loss, ms, finite);
        step++;
    }

    /**
     * The layers rows' activation statistics of every tap's stream (mean, std, zero and dead fractions; RMS² = mean² +
     * std²), through the memory path like every other engine's; the first call names the taps: {@code embed} (kind
     * embed, layer −1), {@code block<l>.attn} (kind attn) and {@code block<l>.ffn}, the block's output (kind block,
     * which layer_profile reads as the block's δ and act_std).
     */
    private ActStats[] streamStats() {
        List<Tap> t = taps[0] == null ? net.taps() : null; // the names; the RMS is the acts' (√(mean² + std²))
        ActStats[] acts = new ActStats[taps.length];
        for (int i = 0; i < acts.length; i++) {
            Tap tap = t == null ? null : t.get(i);
            if (taps[i] == null)
                taps[i] =
                        new LayerInfo(tap.layer(), tap.name(), i == 0 ? "embed" : i % 2 == 1 ? "attn" : "block", null);
            INDArray stream = net.streamArray(i); // in place: a copy through the host cost ~1.3 ms a step
            acts[i] = new ActStats((int) stream.size(1), false);
            memory.activations(stream, 1, null, new ActStats[] {acts[i]});
        }
        memory.sync();
        return acts;
    }
}
