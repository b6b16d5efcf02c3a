package dev.gradsweep.grid;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One point of the grid: everything a task needs to train and record one run. {@link #runId} is the first 16 hex
 * characters of SHA-256 of {@link #canonical()}, so the same configuration always has the same id.
 */
public final class RunConfig implements Serializable {
    public final String sweep;
    public final int depth;
    public final int width;
    public final Activation activation;
    public final Init init;
    public final Norm norm;
    /** {@link Placement#NA} unless a norm sits inside a skip block. */
    public final Placement placement;
    public final Skip skip;
    public final TaskSpec task;
    public final TrainSpec train;
    public final long seed;
    public final String runId;

    /** A placement without a norm inside a skip block collapses to n/a, so it never multiplies runs. */
    public RunConfig(String sweep, int depth, int width, Activation activation, Init init, Norm norm,
                     Placement placement, Skip skip, TaskSpec task, TrainSpec train, long seed) {
        this.sweep = sweep;
        this.depth = depth;
        this.width = width;
        this.activation = activation;
        this.init = init;
        this.norm = norm;
        this.placement = norm == Norm.NONE || skip == Skip.NONE ? Placement.NA : placement;
        this.skip = skip;
        this.task = task;
        this.train = train;
        this.seed = seed;
        this.runId = hash(canonical());
    }

    /** All axes, task, train and seed; not the sweep name, so a config keeps its id across sweeps. */
    public String canonical() {
        return "depth=" + depth + ";width=" + width + ";activation=" + activation.key + ";init=" + init + ";norm=" + norm
                + ";placement=" + placement + ";skip=" + skip + ";task=" + task.canonical() + ";train="
                + train.canonical() + ";seed=" + seed;
    }

    static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) sb.append(String.format("%02x", d[i]));
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same configuration with another seed (bench and tests replicate runs this way). */
    public RunConfig withSeed(long otherSeed) {
        return new RunConfig(sweep, depth, width, activation, init, norm, placement, skip, task, train, otherSeed);
    }

    /** The same configuration with another task (the driver fills in a table file's shape). */
    public RunConfig withTask(TaskSpec otherTask) {
        return new RunConfig(sweep, depth, width, activation, init, norm, placement, skip, otherTask, train, seed);
    }

    @Override
    public String toString() {
        return runId + " " + canonical();
    }
}
