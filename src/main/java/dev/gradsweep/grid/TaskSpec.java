package dev.gradsweep.grid;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The training data of a sweep (docs/grid.md#tasks): a kind and its settings. Built-in kinds are generated on the executor
 * from the run's seed; {@code table} is read by Spark on the driver and shipped to the tasks.
 */
public final class TaskSpec implements Serializable {
    public enum Kind {
        TEACHER,
        GAUSS,
        SPIRALS,
        PARITY,
        TABLE,
        ADDING,
        COPY,
        REVERSE,
        SORT,
        MODADD,
        TEXT,
        // appended: a kind's ordinal seeds its data (data/Tasks), so earlier kinds keep theirs
        BARS,
        TEACHER_CNN;

        /** bars and teacher_cnn: images [channels × size × size], flattened row-major into the inputs. */
        public boolean image() {
            return this == BARS || this == TEACHER_CNN;
        }

        /** adding and copy: sequences of seq_len steps for recurrent cells, fresh samples every step. */
        public boolean sequence() {
            return this == ADDING || this == COPY;
        }

        /** reverse, sort, modadd and text: sequences of token ids for arch transformer (transformer/task). */
        public boolean tokens() {
            return this == REVERSE || this == SORT || this == MODADD || this == TEXT;
        }
    }

    public enum Objective {
        REGRESSION,
        CLASSIFICATION
    }

    /** Bits of a parity task: every one of the 2^bits patterns is enumerable, so keep it small. */
    public static final int PARITY_DEFAULT_BITS = 8, PARITY_MAX_BITS = 30;
    /** copy recalls 3 symbols after a recall marker at the last step, so T must hold 3 + 1 steps at least. */
    public static final int COPY_MIN_SEQ_LEN = 4;
    /** bars: horizontal, vertical, diagonal, anti-diagonal. teacher_cnn's classes unless task.outputs says. */
    public static final int BARS_CLASSES = 4, TEACHER_CNN_DEFAULT_CLASSES = 10;
    /** modadd's context: the tokens a, +, b, = (the answer is predicted at =). */
    public static final int MODADD_SEQ_LEN = 4;

    public final Kind kind;
    /** Input features (for table: resolved from the file on the driver). */
    public final int inputs;
    /** Regression outputs, or classes for classification. */
    public final int outputs;

    public final int samples;
    public final Objective objective;
    /** table only: file path, label column, feature columns (empty = every other column). */
    public final String path;

    public final String label;
    public final List<String> features;
    /** reverse and sort: the alphabet of the sequences (token ids 0 … vocab − 1); 0 for other kinds. */
    public final int vocab;
    /** modadd: the modulus p (answers 0 … p − 1) and the share of the p² pairs trained on; 0 for other kinds. */
    public final int p;

    public final double trainFraction;
    /** bars and teacher_cnn: the images' side and channels (inputs = channels · size²); 0 for other kinds. */
    public final int size, channels;
    /** modadd: the held-out loss is evaluated every this many steps (and at the last); 0 never, and for other kinds. */
    public final int evalEvery;
    /** table: the [channels, height, width] its feature columns fill row-major (task.shape); null when not given. */
    private final int[] shape;

    public TaskSpec(
            Kind kind,
            int inputs,
            int outputs,
            int samples,
            Objective objective,
            String path,
            String label,
            List<String> features) {
        this(kind, inputs, outputs, samples, objective, path, label, features, 0, 0, 0, 0, 0, 0, null);
    }

    private TaskSpec(
            Kind kind,
            int inputs,
            int outputs,
            int samples,
            Objective objective,
            String path,
            String label,
            List<String> features,
            int vocab,
            int p,
            double trainFraction,
            int evalEvery,
            int size,
            int channels,
            int[] shape) {
        this.kind = kind;
        this.inputs = inputs;
        this.outputs = outputs;
        this.samples = samples;
        this.objective = objective;
        this.path = path;
        this.label = label;
        this.features = List.copyOf(features);
        this.vocab = vocab;
        this.p = p;
        this.trainFraction = trainFraction;
        this.evalEvery = evalEvery;
        this.size = size;
        this.channels = channels;
        this.shape = shape == null ? null : shape.clone();
    }

    /**
     * The [channels, height, width] an input row fills row-major (arch conv): bars and teacher_cnn's channels × size ×
     * size, a table's task.shape; null for tasks without an image shape.
     */
    public int[] imageShape() {
        return kind.image() ? new int[] {channels, size, size} : shape == null ? null : shape.clone();
    }

    /** A table task whose feature columns fill {@code shape} = [channels, height, width] row-major (task.shape). */
    public static TaskSpec table(
            int samples, Objective objective, String path, String label, List<String> features, int[] shape) {
        return new TaskSpec(Kind.TABLE, 0, 0, samples, objective, path, label, features, 0, 0, 0, 0, 0, 0, shape);
    }

    /**
     * A token task (arch transformer): {@code vocab} for reverse and sort, {@code p} and {@code trainFraction} for
     * modadd (and {@code evalEvery}), {@code path} for text; fresh sequences every step, so no sample count.
     * Cross-entropy over the tokens.
     */
    public static TaskSpec tokens(Kind kind, int vocab, int p, double trainFraction, int evalEvery, String path) {
        return new TaskSpec(
                kind,
                0,
                0,
                0,
                Objective.CLASSIFICATION,
                path,
                null,
                List.of(),
                vocab,
                p,
                trainFraction,
                evalEvery,
                0,
                0,
                null);
    }

    /** An image task (bars, teacher_cnn): classification of channels × size × size images into {@code classes}. */
    public static TaskSpec image(Kind kind, int channels, int size, int classes, int samples) {
        return new TaskSpec(
                kind,
                channels * size * size,
                classes,
                samples,
                Objective.CLASSIFICATION,
                null,
                null,
                List.of(),
                0,
                0,
                0,
                0,
                size,
                channels,
                null);
    }

    /** Same task with the shapes that only the driver can know (table files). */
    public TaskSpec withShape(int inputs, int outputs, int samples) {
        return new TaskSpec(
                kind,
                inputs,
                outputs,
                samples,
                objective,
                path,
                label,
                features,
                vocab,
                p,
                trainFraction,
                evalEvery,
                size,
                channels,
                shape);
    }

    public String name() {
        return kind.name().toLowerCase();
    }

    /** Canonical text for the run id; sorted keys so YAML key order does not matter. */
    public String canonical() {
        if (kind.sequence()) return name(); // drawn fresh each step: no sample count; T is the run's seq_len
        Map<String, String> m = new TreeMap<>();
        if (kind.tokens()) { // fresh sequences every step too; T is the run's seq_len
            if (kind == Kind.REVERSE || kind == Kind.SORT) m.put("vocab", Integer.toString(vocab));
            if (kind == Kind.MODADD) {
                m.put("p", Integer.toString(p));
                m.put("train_fraction", Canon.num(trainFraction));
                // what is recorded, not what is trained; at its default left out, as it was before the key existed
                if (evalEvery != GridKeys.TASK_EVAL_EVERY.dflt) m.put("eval_every", Integer.toString(evalEvery));
            }
            if (kind == Kind.TEXT) m.put("path", path);
            return name() + m;
        }
        m.put("samples", Integer.toString(samples));
        if (kind.image()) {
            m.put("size", Integer.toString(size));
            m.put("channels", Integer.toString(channels));
            m.put("outputs", Integer.toString(outputs));
            return name() + m;
        }
        if (kind == Kind.TABLE) {
            m.put("path", path);
            m.put("label", label);
            m.put("features", String.join("|", features));
            m.put("objective", objective.name().toLowerCase());
            // only when set, so that the ids of tables without a shape stay those from before the key
            if (shape != null) m.put("shape", shapeText(shape));
        } else {
            m.put("inputs", Integer.toString(inputs));
            m.put("outputs", Integer.toString(outputs));
        }
        return name() + m;
    }

    /** [C, H, W] as "CxHxW" (canonical form, messages). */
    public static String shapeText(int[] shape) {
        return shape[0] + "x" + shape[1] + "x" + shape[2];
    }

    /** C·H·W: the values of one image of {@code shape}. */
    public static int values(int[] shape) {
        return shape[0] * shape[1] * shape[2];
    }

    @Override
    public String toString() {
        return canonical();
    }
}
