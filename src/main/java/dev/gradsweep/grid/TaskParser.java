package dev.gradsweep.grid;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gradsweep.grid.GridKeyTypes.Key;
import dev.gradsweep.grid.GridKeyTypes.Section;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The {@code task} mapping of a grid file: its kind and the settings that kind takes, each checked. */
final class TaskParser {
    /** The keys of the token and image tasks, and the kinds each applies to (named when another kind lists it). */
    private static final Map<Key<?>, String> KIND_KEYS = Map.of(
            GridKeys.TASK_VOCAB, "reverse, sort",
            GridKeys.TASK_P, "modadd",
            GridKeys.TASK_TRAIN_FRACTION, "modadd",
            GridKeys.TASK_EVAL_EVERY, "modadd",
            GridKeys.TASK_SIZE, "bars, teacher_cnn",
            GridKeys.TASK_CHANNELS, "bars, teacher_cnn");

    private TaskParser() {}

    static TaskSpec parse(GridContext c, JsonNode t) {
        c.onlyKeys(t, "task", GridKeys.names(Section.TASK));
        TaskSpec.Kind kind = GridKeys.TASK_KIND.read(c, t);
        if (kind.tokens()) return tokens(c, t, kind);
        if (kind.image()) return image(c, t, kind);
        for (Key<?> k : GridKeys.in(Section.TASK))
            if (KIND_KEYS.containsKey(k) && t.has(k.name))
                throw c.err(k.path(), "only applies to kind: " + KIND_KEYS.get(k));
        int samples = kind.sequence()
                ? 0
                : kind == TaskSpec.Kind.TABLE ? GridKeys.TASK_SAMPLES.read(c, t, 0) : GridKeys.TASK_SAMPLES.read(c, t);
        if (kind == TaskSpec.Kind.TABLE) {
            String path = GridKeys.TASK_PATH.read(c, t);
            String label = GridKeys.TASK_LABEL.read(c, t);
            List<String> features = new ArrayList<>();
            JsonNode f = t.get(GridKeys.TASK_FEATURES.name);
            if (f != null) {
                if (!f.isArray() || f.isEmpty())
                    throw c.err("task.features", "must be a non-empty list of column names");
                f.forEach(n -> features.add(n.asText()));
                if (features.contains(label))
                    throw c.err("task.features", "the label column '" + label + "' cannot also be a feature");
            }
            TaskSpec.Objective obj = GridKeys.TASK_OBJECTIVE.read(c, t);
            for (Key<?> k : List.of(GridKeys.TASK_INPUTS, GridKeys.TASK_OUTPUTS))
                if (t.has(k.name)) throw c.err(k.path(), "is read from the table file; remove it");
            int[] shape = shape(c, t.get(GridKeys.TASK_SHAPE.name));
            if (shape != null && !features.isEmpty() && features.size() != TaskSpec.values(shape))
                throw c.err(
                        "task.shape",
                        TaskSpec.shapeText(shape) + " = " + TaskSpec.values(shape) + " values, but task.features lists "
                                + features.size() + " columns");
            return TaskSpec.table(samples, obj, path, label, features, shape);
        }
        for (Key<?> k :
                List.of(GridKeys.TASK_LABEL, GridKeys.TASK_FEATURES, GridKeys.TASK_OBJECTIVE, GridKeys.TASK_SHAPE))
            if (t.has(k.name)) throw c.err(k.path(), "only applies to kind: table");
        if (t.has(GridKeys.TASK_PATH.name))
            throw c.err(GridKeys.TASK_PATH.path(), "only applies to kinds table and text");
        switch (kind) {
            case ADDING:
            case COPY: {
                for (Key<?> k : List.of(GridKeys.TASK_INPUTS, GridKeys.TASK_OUTPUTS, GridKeys.TASK_SAMPLES))
                    if (t.has(k.name))
                        throw c.err(
                                k.path(),
                                kind.name().toLowerCase() + " draws fresh sequences every step; remove " + k.name
                                        + " (the length is axes.seq_len)");
                TaskSpec.Objective obj = kind == TaskSpec.Kind.ADDING
                        ? TaskSpec.Objective.REGRESSION
                        : TaskSpec.Objective.CLASSIFICATION;
                return new TaskSpec(kind, 0, 0, 0, obj, null, null, List.of());
            }
            case SPIRALS: {
                if (t.has("inputs") || t.has("outputs"))
                    throw c.err("task", "spirals has 2 inputs and 2 classes; remove inputs/outputs");
                return new TaskSpec(kind, 2, 2, samples, TaskSpec.Objective.CLASSIFICATION, null, null, List.of());
            }
            case PARITY: {
                int bits = GridKeys.TASK_INPUTS.read(c, t, TaskSpec.PARITY_DEFAULT_BITS);
                if (bits > TaskSpec.PARITY_MAX_BITS)
                    throw c.err(
                            "task.inputs",
                            bits + " is out of range; allowed 1 to " + TaskSpec.PARITY_MAX_BITS + " (parity bits)");
                if (t.has("outputs")) throw c.err("task.outputs", "parity has 2 classes; remove outputs");
                return new TaskSpec(kind, bits, 2, samples, TaskSpec.Objective.CLASSIFICATION, null, null, List.of());
            }
            default: {
                int inputs = GridKeys.TASK_INPUTS.read(c, t);
                int outputs = GridKeys.TASK_OUTPUTS.read(c, t);
                return new TaskSpec(
                        kind, inputs, outputs, samples, TaskSpec.Objective.REGRESSION, null, null, List.of());
            }
        }
    }

    /** task.shape: [channels, height, width], each at least 1, or null when absent. */
    private static int[] shape(GridContext c, JsonNode n) {
        if (n == null || n.isNull()) return null;
        String what = "must be [channels, height, width], three positive integers, e.g. [1, 28, 28]";
        if (!n.isArray() || n.size() != 3) throw c.err("task.shape", what);
        int[] shape = new int[3];
        long product = 1;
        for (int i = 0; i < 3; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > GridKeys.MAX_INPUTS)
                throw c.err("task.shape", "'" + v.asText() + "' " + what);
            shape[i] = v.asInt();
            product *= shape[i];
        }
        if (product > GridKeys.MAX_INPUTS)
            throw c.err("task.shape", TaskSpec.shapeText(shape) + " is more than " + GridKeys.MAX_INPUTS + " inputs");
        return shape;
    }

    /** bars, teacher_cnn: channels × size × size images, classes (bars: its 4 orientations), samples. */
    private static TaskSpec image(GridContext c, JsonNode t, TaskSpec.Kind kind) {
        List<Key<?>> own = new ArrayList<>(List.of(GridKeys.TASK_SIZE, GridKeys.TASK_CHANNELS, GridKeys.TASK_SAMPLES));
        if (kind == TaskSpec.Kind.TEACHER_CNN) own.add(GridKeys.TASK_OUTPUTS);
        onlyOwn(c, t, kind, own, k -> k == GridKeys.TASK_INPUTS ? "; its inputs are channels x size x size" : "");
        int classes = kind == TaskSpec.Kind.BARS
                ? TaskSpec.BARS_CLASSES
                : GridKeys.TASK_OUTPUTS.read(c, t, TaskSpec.TEACHER_CNN_DEFAULT_CLASSES);
        if (kind == TaskSpec.Kind.TEACHER_CNN && classes < 2)
            throw c.err("task.outputs", classes + " is too few: teacher_cnn has at least 2 classes");
        int size = GridKeys.TASK_SIZE.read(c, t), channels = GridKeys.TASK_CHANNELS.read(c, t);
        if ((long) channels * size * size > GridKeys.MAX_INPUTS)
            throw c.err(
                    "task.size",
                    channels + " x " + size + " x " + size + " inputs are more than " + GridKeys.MAX_INPUTS);
        return TaskSpec.image(kind, channels, size, classes, GridKeys.TASK_SAMPLES.read(c, t));
    }

    /** reverse, sort, modadd, text: only their own keys; the text file is checked with the runs' seq_len ({@link RunRules}). */
    private static TaskSpec tokens(GridContext c, JsonNode t, TaskSpec.Kind kind) {
        List<Key<?>> own =
                switch (kind) {
                    case REVERSE, SORT -> List.of(GridKeys.TASK_VOCAB);
                    case MODADD -> List.of(GridKeys.TASK_P, GridKeys.TASK_TRAIN_FRACTION, GridKeys.TASK_EVAL_EVERY);
                    default -> List.of(GridKeys.TASK_PATH);
                };
        onlyOwn(c, t, kind, own, k -> "; the length is axes.seq_len");
        return switch (kind) {
            case REVERSE, SORT -> TaskSpec.tokens(kind, GridKeys.TASK_VOCAB.read(c, t), 0, 0, 0, null);
            case MODADD -> TaskSpec.tokens(
                    kind,
                    0,
                    GridKeys.TASK_P.read(c, t),
                    GridKeys.TASK_TRAIN_FRACTION.read(c, t),
                    GridKeys.TASK_EVAL_EVERY.read(c, t),
                    null);
            default -> TaskSpec.tokens(kind, 0, 0, 0, 0, GridKeys.TASK_PATH.read(c, t));
        };
    }

    /** A task key of {@code kind} other than its own is an error naming it, what the kind takes, and {@code hint}. */
    private static void onlyOwn(
            GridContext c, JsonNode t, TaskSpec.Kind kind, List<Key<?>> own, Function<Key<?>, String> hint) {
        for (Key<?> k : GridKeys.in(Section.TASK))
            if (k != GridKeys.TASK_KIND && !own.contains(k) && t.has(k.name))
                throw c.err(
                        k.path(),
                        "does not apply to kind: " + kind.name().toLowerCase() + " (it takes "
                                + own.stream().map(Key::path).toList() + hint.apply(k) + ")");
    }
}
