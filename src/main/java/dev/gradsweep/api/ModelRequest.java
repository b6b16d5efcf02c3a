package dev.gradsweep.api;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.model.NetworkFactory;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * What a {@link ModelFactory} is asked to build: the task's shape, the run's seed, data type and optimizer, its values
 * of the grid's custom axes, and the built-in architecture axes the grid listed (empty when it did not).
 */
public final class ModelRequest {
    private final RunConfig rc;

    /** gradsweep builds requests; factories only read them. */
    ModelRequest(RunConfig rc) {
        if (rc.user == null) throw new IllegalArgumentException("not a run of a model factory: " + rc);
        this.rc = rc;
    }

    /** The request of a factory run (the sweep's). */
    public static ModelRequest of(RunConfig rc) {
        return new ModelRequest(rc);
    }

    public String runId() {
        return rc.runId;
    }

    /** The run's seed: the factory's weight initialisation should use it ({@code .seed(run.seed())}). */
    public long seed() {
        return rc.seed;
    }

    /** Features per example (an image task's rows hold channels × height × width, row-major). */
    public int inputs() {
        return rc.task.inputs;
    }

    /** Classes (classification: one-hot labels, softmax cross-entropy expected) or regression targets. */
    public int outputs() {
        return rc.task.outputs;
    }

    public boolean classification() {
        return rc.task.objective == TaskSpec.Objective.CLASSIFICATION;
    }

    /** [channels, height, width] of an image task's rows, for {@code InputType.convolutionalFlat}; empty otherwise. */
    public Optional<int[]> imageShape() {
        return Optional.ofNullable(rc.task.imageShape());
    }

    public DataType dataType() {
        return NetworkFactory.dataType(rc.train.dtype);
    }

    public int batch() {
        return rc.train.batch;
    }

    /** The run's optimizer and learning rate (axes.optimizer, axes.lr, or train.*) as a DL4J updater. */
    public IUpdater updater() {
        return NetworkFactory.updater(rc.train);
    }

    /** The run's custom axis values by name. */
    public Map<String, String> custom() {
        return rc.user.custom;
    }

    /** One custom axis value as written in the grid (numbers in canonical form: 0.10 reads "0.1"). */
    public String custom(String name) {
        String v = rc.user.custom.get(name);
        if (v == null)
            throw new IllegalArgumentException(
                    "no custom axis '" + name + "' in this grid; it has " + rc.user.custom.keySet());
        return v;
    }

    public double customDouble(String name) {
        String v = custom(name);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("custom axis '" + name + "' is '" + v + "', not a number");
        }
    }

    public int customInt(String name) {
        double d = customDouble(name);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE)
            throw new IllegalArgumentException("custom axis '" + name + "' is " + custom(name) + ", not an integer");
        return (int) d;
    }

    public boolean customBoolean(String name) {
        String v = custom(name);
        if (!v.equals("true") && !v.equals("false"))
            throw new IllegalArgumentException("custom axis '" + name + "' is '" + v + "', not true or false");
        return v.equals("true");
    }

    /** axes.depth when the grid lists it. */
    public OptionalInt depth() {
        return given("depth") ? OptionalInt.of(rc.depth) : OptionalInt.empty();
    }

    /** axes.width when the grid lists it. */
    public OptionalInt width() {
        return given("width") ? OptionalInt.of(rc.width) : OptionalInt.empty();
    }

    /** axes.activation (grid spelling, e.g. "relu") when the grid lists it. */
    public Optional<String> activation() {
        return given("activation") ? Optional.of(rc.activation.key) : Optional.empty();
    }

    /** axes.init (grid spelling, e.g. "he", "normal:0.5") when the grid lists it. */
    public Optional<String> init() {
        return given("init") ? Optional.of(rc.init.toString()) : Optional.empty();
    }

    private boolean given(String axis) {
        return rc.user.given.contains(axis);
    }

    @Override
    public String toString() {
        return "run " + rc.runId + " (" + rc.canonical() + ")";
    }
}
