package dev.gradsweep.grid;

import dev.gradsweep.config.BadInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A parsed, validated grid file (docs/grid.md). Every error names the file, the key and the allowed values, and is
 * raised here, before Spark starts. {@link #expand()} gives the runs in a deterministic order.
 */
public final class GridSpec {
    /** Axis keys in expansion order (outermost first); seeds vary fastest. */
    public static final List<String> AXES =
            List.of("depth", "width", "activation", "init", "norm", "placement", "skip", "optimizer", "lr", "batch", "clip");
    static final List<String> TOP_KEYS = List.of("name", "task", "train", "seeds", "axes", "exclude");
    static final List<String> TRAIN_KEYS = List.of("steps", "batch", "optimizer", "lr", "clip", "dtype", "warmup", "highway_gate_bias");
    static final List<String> TASK_KEYS = List.of("kind", "inputs", "outputs", "samples", "path", "label", "features", "objective");
    public static final List<String> NORMS = List.of("none", "batch", "layer");
    public static final List<String> PLACEMENTS = List.of("pre", "post");
    public static final List<String> SKIPS = List.of("none", "residual", "highway", "rezero");
    static final int MAX_DEPTH = 2000, MAX_WIDTH = 8192, MAX_STEPS = 10_000_000, MAX_BATCH = 1 << 16,
            MAX_SAMPLES = 100_000_000, MAX_INPUTS = 1 << 20, MAX_RUNS = 1_000_000;

    public final String source;
    public final String name;
    public final TaskSpec task;
    public final TrainSpec train;
    public final List<Long> seeds;
    /** Each axis' values as canonical strings, in file order. */
    public final Map<String, List<String>> axes;
    public final List<Map<String, String>> excludes;

    private GridSpec(String source, String name, TaskSpec task, TrainSpec train, List<Long> seeds,
                     Map<String, List<String>> axes, List<Map<String, String>> excludes) {
        this.source = source;
        this.name = name;
        this.task = task;
        this.train = train;
        this.seeds = seeds;
        this.axes = axes;
        this.excludes = excludes;
    }

    public static GridSpec load(Path file) {
        if (!Files.isRegularFile(file)) throw new BadInputException("grid file " + file + ": not found (or not a file)");
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new BadInputException("grid file " + file + ": cannot be read: " + e.getMessage());
        }
    }

    public static GridSpec parse(String yaml, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new BadInputException("grid file " + source + ": not valid YAML: " + e.getOriginalMessage());
        }
        Ctx c = new Ctx(source);
        if (root == null || !root.isObject()) throw c.err("", "the file must be a YAML mapping with keys " + TOP_KEYS);
        c.onlyKeys(root, "", TOP_KEYS);
        String name = c.text(root, "name", null);
        if (!name.matches("[A-Za-z0-9._-]+")) throw c.err("name", "'" + name + "' must be letters, digits, '.', '_' or '-'");
        TaskSpec task = parseTask(c, c.obj(root, "task"));
        TrainSpec train = parseTrain(c, c.obj(root, "train"));
        List<Long> seeds = new ArrayList<>();
        JsonNode s = root.get("seeds");
        if (s == null) seeds.add(1L);
        else {
            if (!s.isArray() || s.isEmpty()) throw c.err("seeds", "must be a non-empty list of integers, e.g. [1, 2, 3]");
            for (JsonNode n : s) {
                if (!n.canConvertToLong() || !n.isIntegralNumber()) throw c.err("seeds", "'" + n.asText() + "' is not an integer");
                if (seeds.contains(n.asLong())) throw c.err("seeds", "seed " + n.asLong() + " is listed twice");
                seeds.add(n.asLong());
            }
        }
        JsonNode ax = root.get("axes");
        if (ax == null || !ax.isObject()) throw c.err("axes", "missing: a mapping of axis -> list of values; axes are " + AXES);
        c.onlyKeys(ax, "axes", AXES);
        Map<String, List<String>> axes = new LinkedHashMap<>();
        for (String key : AXES) {
            JsonNode list = ax.get(key);
            List<String> values = new ArrayList<>();
            if (list == null) {
                values.add(defaultAxisValue(key, train, "axes." + key, c));
            } else {
                if (!list.isArray()) list = c.singletonList(list);
                if (list.isEmpty()) throw c.err("axes." + key, "empty list: the product would be empty");
                for (JsonNode v : list) {
                    String canon = canonicalAxisValue(c, "axes." + key, key, v);
                    if (values.contains(canon)) throw c.err("axes." + key, "value '" + canon + "' is listed twice");
                    values.add(canon);
                }
            }
            axes.put(key, List.copyOf(values));
        }
        List<Map<String, String>> excludes = new ArrayList<>();
        JsonNode ex = root.get("exclude");
        if (ex != null) {
            if (!ex.isArray()) throw c.err("exclude", "must be a list of mappings, e.g. [{norm: none, placement: post}]");
            int i = 0;
            for (JsonNode f : ex) {
                String where = "exclude[" + i++ + "]";
                if (!f.isObject() || f.isEmpty()) throw c.err(where, "must be a non-empty mapping of axis -> value");
                c.onlyKeys(f, where, AXES);
                Map<String, String> m = new LinkedHashMap<>();
                f.fields().forEachRemaining(e -> m.put(e.getKey(), canonicalAxisValue(c, where + "." + e.getKey(), e.getKey(), e.getValue())));
                excludes.add(m);
            }
        }
        if (task.samples > 0)
            for (String b : axes.get("batch"))
                if (Integer.parseInt(b) > task.samples)
                    throw c.err(ax.has("batch") ? "axes.batch" : "train.batch", "batch " + b + " is larger than task.samples " + task.samples);
        if (axes.get("norm").contains("batch"))
            for (String b : axes.get("batch"))
                if (Integer.parseInt(b) < 2)
                    throw c.err(ax.has("batch") ? "axes.batch" : "train.batch", "batch " + b + " with norm: batch: batch statistics need at least 2 examples");
        GridSpec g = new GridSpec(source, name, task, train, List.copyOf(seeds), axes, excludes);
        long product = seeds.size();
        for (List<String> v : axes.values()) product *= v.size();
        if (product > MAX_RUNS) throw c.err("axes", "the product has " + product + " runs; at most " + MAX_RUNS);
        if (g.expand().isEmpty()) throw c.err("exclude", "every combination is excluded: the sweep would be empty");
        return g;
    }

    private static String defaultAxisValue(String key, TrainSpec train, String where, Ctx c) {
        switch (key) {
            case "norm": case "skip": return "none";
            case "placement": return "pre";
            case "optimizer": return train.optimizer.name().toLowerCase();
            case "lr": return Canon.num(train.lr);
            case "batch": return Integer.toString(train.batch);
            case "clip": return train.clip;
            default: throw c.err(where, "missing: list the values of " + key);
        }
    }

    /** Validates one axis value and returns its canonical text. */
    private static String canonicalAxisValue(Ctx c, String where, String key, JsonNode v) {
        String t = v.asText().trim().toLowerCase();
        switch (key) {
            case "depth": return Integer.toString(c.intIn(where, v, 1, MAX_DEPTH));
            case "width": return Integer.toString(c.intIn(where, v, 1, MAX_WIDTH));
            case "batch": return Integer.toString(c.intIn(where, v, 1, MAX_BATCH));
            case "lr": return Canon.num(c.lr(where, v));
            case "activation":
                if (Activation.parse(t) == null) throw c.err(where, "unknown activation '" + t + "'; allowed: " + Activation.allowed());
                return t;
            case "init": {
                Init i = Init.parse(t);
                if (i == null) throw c.err(where, "unknown initializer '" + t + "'; allowed: " + Init.ALLOWED);
                return i.toString();
            }
            case "norm": return c.choice(where, t, NORMS);
            case "skip": return c.choice(where, t, SKIPS);
            case "placement": return c.choice(where, t, PLACEMENTS);
            case "optimizer": return c.choice(where, t, List.of(TrainSpec.OPTIMIZERS.split(", ")));
            case "clip": {
                String clip = TrainSpec.parseClip(t);
                if (clip == null) throw c.err(where, "'" + t + "' is not a clipping rule; allowed: " + TrainSpec.CLIPS + " with c > 0");
                return clip;
            }
            default: throw c.err(where, "unknown axis; axes are " + AXES);
        }
    }

    private static TaskSpec parseTask(Ctx c, JsonNode t) {
        c.onlyKeys(t, "task", TASK_KEYS);
        String kindText = c.text(t, "kind", "task");
        TaskSpec.Kind kind = c.enumOf(TaskSpec.Kind.class, kindText, "task.kind", TaskSpec.KINDS);
        int samples = c.intOr(t, "samples", "task", 1, MAX_SAMPLES, kind == TaskSpec.Kind.TABLE ? 0 : 2048);
        String objText = t.has("objective") ? t.get("objective").asText() : null;
        if (kind == TaskSpec.Kind.TABLE) {
            String path = c.text(t, "path", "task");
            String label = c.text(t, "label", "task");
            List<String> features = new ArrayList<>();
            JsonNode f = t.get("features");
            if (f != null) {
                if (!f.isArray() || f.isEmpty()) throw c.err("task.features", "must be a non-empty list of column names");
                f.forEach(n -> features.add(n.asText()));
                if (features.contains(label)) throw c.err("task.features", "the label column '" + label + "' cannot also be a feature");
            }
            TaskSpec.Objective obj = objText == null ? TaskSpec.Objective.REGRESSION
                    : c.enumOf(TaskSpec.Objective.class, objText, "task.objective", "regression, classification");
            for (String k : List.of("inputs", "outputs"))
                if (t.has(k)) throw c.err("task." + k, "is read from the table file; remove it");
            return new TaskSpec(kind, 0, 0, samples, obj, path, label, features);
        }
        for (String k : List.of("path", "label", "features", "objective"))
            if (t.has(k)) throw c.err("task." + k, "only applies to kind: table");
        switch (kind) {
            case SPIRALS: {
                if (t.has("inputs") || t.has("outputs")) throw c.err("task", "spirals has 2 inputs and 2 classes; remove inputs/outputs");
                return new TaskSpec(kind, 2, 2, samples, TaskSpec.Objective.CLASSIFICATION, null, null, List.of());
            }
            case PARITY: {
                int bits = c.intOr(t, "inputs", "task", 1, 30, 8);
                if (t.has("outputs")) throw c.err("task.outputs", "parity has 2 classes; remove outputs");
                return new TaskSpec(kind, bits, 2, samples, TaskSpec.Objective.CLASSIFICATION, null, null, List.of());
            }
            default: {
                int inputs = c.intOr(t, "inputs", "task", 1, MAX_INPUTS, 16);
                int outputs = c.intOr(t, "outputs", "task", 1, MAX_INPUTS, 1);
                return new TaskSpec(kind, inputs, outputs, samples, TaskSpec.Objective.REGRESSION, null, null, List.of());
            }
        }
    }

    private static TrainSpec parseTrain(Ctx c, JsonNode t) {
        c.onlyKeys(t, "train", TRAIN_KEYS);
        int steps = c.intOr(t, "steps", "train", 1, MAX_STEPS, 300);
        int batch = c.intOr(t, "batch", "train", 1, MAX_BATCH, 64);
        TrainSpec.Optimizer opt = t.has("optimizer")
                ? c.enumOf(TrainSpec.Optimizer.class, t.get("optimizer").asText(), "train.optimizer", TrainSpec.OPTIMIZERS)
                : TrainSpec.Optimizer.SGD;
        double lr = t.has("lr") ? c.lr("train.lr", t.get("lr")) : 0.05;
        String clip = "none";
        if (t.has("clip")) {
            clip = TrainSpec.parseClip(t.get("clip").asText());
            if (clip == null) throw c.err("train.clip", "'" + t.get("clip").asText() + "' is not a clipping rule; allowed: " + TrainSpec.CLIPS + " with c > 0");
        }
        TrainSpec.DType dtype = t.has("dtype")
                ? c.enumOf(TrainSpec.DType.class, t.get("dtype").asText(), "train.dtype", TrainSpec.DTYPES)
                : TrainSpec.DType.FLOAT32;
        int warmup = c.intOr(t, "warmup", "train", 0, MAX_STEPS, 0);
        if (warmup > steps) throw c.err("train.warmup", warmup + " is longer than the run (train.steps " + steps + ")");
        double gateBias = TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS;
        if (t.has("highway_gate_bias")) {
            JsonNode v = t.get("highway_gate_bias");
            if (!v.isNumber() || !(Math.abs(v.asDouble()) <= 20))
                throw c.err("train.highway_gate_bias", "'" + v.asText() + "' must be a number in [-20, 20] (default -2)");
            gateBias = v.asDouble();
        }
        return new TrainSpec(steps, batch, opt, lr, clip, dtype, warmup, gateBias);
    }

    /** The runs of this grid: cartesian product minus excludes, meaningless placements collapsed, in a fixed order. */
    public List<RunConfig> expand() {
        Map<String, RunConfig> out = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(axes.keySet());
        int[] idx = new int[keys.size()];
        while (true) {
            Map<String, String> point = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) point.put(keys.get(i), axes.get(keys.get(i)).get(idx[i]));
            if (excludes.stream().noneMatch(f -> f.entrySet().stream().allMatch(e -> e.getValue().equals(point.get(e.getKey()))))) {
                for (long seed : seeds) {
                    RunConfig rc = toRun(point, seed);
                    out.putIfAbsent(rc.runId, rc);
                }
            }
            int i = keys.size() - 1;
            while (i >= 0 && ++idx[i] == axes.get(keys.get(i)).size()) idx[i--] = 0;
            if (i < 0) break;
        }
        return List.copyOf(out.values());
    }

    private RunConfig toRun(Map<String, String> p, long seed) {
        String norm = p.get("norm"), skip = p.get("skip");
        // Placement only means something for a norm inside a skip block; elsewhere it collapses to n/a.
        String placement = norm.equals("none") || skip.equals("none") ? RunConfig.NOT_APPLICABLE : p.get("placement");
        TrainSpec tr = train.with(TrainSpec.Optimizer.valueOf(p.get("optimizer").toUpperCase()), Double.parseDouble(p.get("lr")),
                Integer.parseInt(p.get("batch")), p.get("clip"));
        return new RunConfig(name, Integer.parseInt(p.get("depth")), Integer.parseInt(p.get("width")),
                Activation.parse(p.get("activation")), Init.parse(p.get("init")), norm, placement, skip, task, tr, seed);
    }

    /** Rewrites every run's task (used once the driver has read a table file's shape). */
    public static List<RunConfig> withTask(List<RunConfig> runs, Function<TaskSpec, TaskSpec> f) {
        List<RunConfig> out = new ArrayList<>();
        for (RunConfig r : runs)
            out.add(new RunConfig(r.sweep, r.depth, r.width, r.activation, r.init, r.norm, r.placement, r.skip, f.apply(r.task),
                    r.train, r.seed));
        return out;
    }

    /** Validation helpers bound to one file, so every message starts with the file and the key. */
    static final class Ctx {
        final String source;

        Ctx(String source) {
            this.source = source;
        }

        BadInputException err(String key, String msg) {
            return new BadInputException("grid file " + source + (key.isEmpty() ? "" : ": " + key) + ": " + msg);
        }

        void onlyKeys(JsonNode n, String where, List<String> allowed) {
            Iterator<String> it = n.fieldNames();
            while (it.hasNext()) {
                String k = it.next();
                if (!allowed.contains(k))
                    throw err(where.isEmpty() ? k : where + "." + k, "unknown key; allowed keys: " + String.join(", ", allowed));
            }
        }

        JsonNode obj(JsonNode root, String key) {
            JsonNode n = root.get(key);
            if (n == null || !n.isObject()) throw err(key, "missing or not a mapping");
            return n;
        }

        JsonNode singletonList(JsonNode v) {
            return new ObjectMapper().createArrayNode().add(v);
        }

        String text(JsonNode n, String key, String parent) {
            JsonNode v = n.get(key);
            String where = parent == null ? key : parent + "." + key;
            if (v == null || v.isNull() || !v.isValueNode() || v.asText().isBlank()) throw err(where, "missing");
            return v.asText().trim();
        }

        int intIn(String where, JsonNode v, int min, int max) {
            if (!v.isIntegralNumber()) throw err(where, "'" + v.asText() + "' is not an integer");
            long x = v.asLong();
            if (x < min || x > max) throw err(where, x + " is out of range; allowed " + min + " to " + max);
            return (int) x;
        }

        int intOr(JsonNode n, String key, String parent, int min, int max, int dflt) {
            JsonNode v = n.get(key);
            return v == null ? dflt : intIn(parent + "." + key, v, min, max);
        }

        double lr(String where, JsonNode v) {
            if (!v.isNumber()) throw err(where, "'" + v.asText() + "' is not a number");
            double x = v.asDouble();
            if (!(x > 0 && x <= 100)) throw err(where, x + " is out of range; a learning rate must be in (0, 100]");
            return x;
        }

        String choice(String where, String v, List<String> allowed) {
            if (!allowed.contains(v)) throw err(where, "unknown value '" + v + "'; allowed: " + String.join(", ", allowed));
            return v;
        }

        <E extends Enum<E>> E enumOf(Class<E> type, String v, String where, String allowed) {
            try {
                return Enum.valueOf(type, v.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                throw err(where, "unknown value '" + v + "'; allowed: " + allowed);
            }
        }
    }
}
