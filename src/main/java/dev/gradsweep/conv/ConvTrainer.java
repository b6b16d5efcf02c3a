package dev.gradsweep.conv;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.NetworkFactory;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.LayerInfo;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.train.FlatStep;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;

/**
 * Trains a {@link ConvNet} on image data with the flat-buffer engines' step ({@link FlatStep}: gradient statistics,
 * clipping, updater, update statistics, p ← p − update). Every step records its steps row, a params row per array
 * and a layers row per stem, unit and head: activation statistics of the row's output, δ (docs/conv.md) and the
 * response std; a non-finite loss or gradient ends the run diverged, its update not applied.
 */
public final class ConvTrainer {
    private final ConvNet net;
    private final TrainSpec train;
    private final TrainingMemory memory;
    private final Batches batches;
    private final FlatStep flatStep;
    private final Segment[] segments;
    private final LayerInfo[] layers;
    private final double[] deltaSq;
    private int step;
    private boolean diverged;

    public ConvTrainer(ConvSpec spec, TaskData data, TrainSpec train, long seed, TrainingMemory memory) {
        this.net = new ConvNet(spec, train.batch, memory);
        this.train = train;
        this.memory = memory;
        this.batches = new Batches(data, train.batch, NetworkFactory.dataType(spec.dtype()), seed, memory);
        this.segments = net.segments();
        this.flatStep = new FlatStep(train, memory, net.params(), net.gradient(), segments);
        int n = net.layerCount();
        this.layers = new LayerInfo[n];
        for (int i = 0; i < n; i++) layers[i] = new LayerInfo(net.layer(i), net.layerName(i), net.kind(i), net.fn(i));
        this.deltaSq = new double[n];
    }

    public ConvNet net() {
        return net;
    }

    public boolean hasNext() {
        return !diverged && step < train.steps;
    }

    /** One step, recorded into {@code rec} and booked into {@code out}. */
    public void step(RunRecorder rec, RunOutcome out) {
        long t0 = System.nanoTime();
        MemoryGuard.check();
        batches.next();
        net.setBatch(batches.features, batches.labels);
        double loss = net.computeGradient();
        // δ reduced with the gradient's statistics: the β and bias gradients among them become the update next
        FlatStep.Result r = flatStep.apply(step, loss, () -> {
            for (int i = 0; i < deltaSq.length; i++) memory.sumSq(net.delta(i), deltaSq, i);
        });
        if (!r.finite()) diverged = true;
        int n = layers.length;
        ActStats[] acts = new ActStats[n], resp = new ActStats[n];
        for (int i = 0; i < n; i++) {
            Activation fn = layers[i].fn;
            acts[i] = new ActStats((int) net.activations(i).size(1), fn != null && fn.hasSaturation());
            memory.activations(net.activations(i), 1, fn, new ActStats[] {acts[i]});
            if (net.response(i) == null) continue;
            resp[i] = new ActStats((int) net.response(i).size(1), false);
            memory.activations(net.response(i), 1, null, new ActStats[] {resp[i]});
        }
        memory.sync();
        double ms = (System.nanoTime() - t0) / 1e6;
        rec.step(step, loss, r.gradL2(), r.updateL2(), train.lrAt(step), ms);
        for (int i = 0; i < segments.length; i++) rec.param(step, segments[i], r.stats()[i]);
        for (int i = 0; i < n; i++) {
            if (resp[i] != null) rec.layerResponse(resp[i].std());
            rec.layer(step, layers[i], acts[i], Math.sqrt(deltaSq[i]));
        }
        out.endStep(loss, ms, r.finite());
        step++;
    }
}
