package dev.gradsweep.stats;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One multiplier per run of a stack, constant over that run's segments of a flat buffer (a learning rate, a clip
 * scale, 1/batch …), for {@link TrainingMemory#scale}. The host path reads the values; the portable path keeps them
 * as a per-element vector on the device as well, rewritten only where a value changed.
 */
public final class RunFactors {
    /** [run][segment]: together the runs' segments cover every element the factors apply to. */
    final Segment[][] runs;

    final double[] value;
    /** The portable path's per-element copy and the values it holds; null until that path first uses it. */
    INDArray perElement;

    double[] written;

    public RunFactors(Segment[][] runs) {
        this.runs = runs;
        this.value = new double[runs.length];
        Arrays.fill(value, Double.NaN); // nothing set yet
    }

    public void set(int run, double v) {
        value[run] = v;
    }
}
