package dev.gradsweep.model;

import dev.gradsweep.grid.TrainSpec;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/** {@link TrainSpec#warmupLr} as a DL4J learning-rate schedule (iteration = training step). */
public final class WarmupSchedule implements ISchedule {
    private final double lr;
    private final int warmup;

    public WarmupSchedule(@JsonProperty("lr") double lr, @JsonProperty("warmup") int warmup) {
        this.lr = lr;
        this.warmup = warmup;
    }

    public double getLr() {
        return lr;
    }

    public int getWarmup() {
        return warmup;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return TrainSpec.warmupLr(lr, warmup, iteration);
    }

    @Override
    public ISchedule clone() {
        return new WarmupSchedule(lr, warmup);
    }
}
