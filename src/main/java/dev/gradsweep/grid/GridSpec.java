package dev.gradsweep.grid;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.GridKeyTypes.Key;
import dev.gradsweep.grid.GridKeyTypes.Section;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A parsed, validated grid file (docs/grid.md). Every key is declared in {@link GridKeys}; every error names the
 * file, the key and the allowed values, and is raised here, before Spark starts. {@link #expand()} gives the runs
 * in a deterministic order.
 */
public final class GridSpec {
    /** Axis keys in expansion order (outermost first); seeds vary fastest. */
    public static final List<String> AXES = GridKeys.names(Section.AXES);
    /** How a custom axis is keyed in {@link #axes}: {@code custom.<name>}. */
    public static final String CUSTOM_PREFIX = "custom.";

    public final String source;
    public final String name;
    public final TaskSpec task;
    public final TrainSpec train;
    public final List<Long> seeds;
    /** Each axis' values as canonical strings, in file order. */
    public final Map<String, List<String>> axes;

    public final List<Map<String, String>> excludes;
    /** The user's factory class ({@code model.class}); null for the built-in nets. */
    public final String model;
    /** With a model: the architecture axes the grid listed (the others are recorded as null). */
    private final Set<String> given;

    private GridSpec(
            String source,
            String name,
            TaskSpec task,
            TrainSpec train,
            List<Long> seeds,
            Map<String, List<String>> axes,
            List<Map<String, String>> excludes,
            String model,
            Set<String> given) {
        this.source = source;
        this.name = name;
        this.task = task;
        this.train = train;
        this.seeds = seeds;
        this.axes = axes;
        this.excludes = excludes;
        this.model = model;
        this.given = given;
    }

    public static GridSpec load(Path file) {
        if (!Files.isRegularFile(file))
            throw new BadInputException("grid file " + file + ": not found (or not a file)");
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
        GridContext c = new GridContext(source);
        List<String> top = GridKeys.names(Section.TOP);
        if (root == null || !root.isObject()) throw c.err("", "the file must be a YAML mapping with keys " + top);
        c.onlyKeys(root, "", top);
        String name = GridKeys.NAME.read(c, root);
        if (!name.matches("[A-Za-z0-9._-]+")) throw c.err("name", "'" + name + "' must be " + GridKeys.NAME.allowed);
        TaskSpec task = TaskParser.parse(c, c.obj(root, GridKeys.TASK.name));
        TrainSpec train = parseTrain(c, c.obj(root, GridKeys.TRAIN.name));
        String model = UserAxes.parseModel(c, root);
        List<Long> seeds = new ArrayList<>();
        JsonNode s = root.get(GridKeys.SEEDS.name);
        if (s == null) seeds.add(1L);
        else {
            if (!s.isArray() || s.isEmpty())
                throw c.err("seeds", "must be a non-empty list of integers, e.g. [1, 2, 3]");
            for (JsonNode n : s) {
                if (!n.canConvertToLong() || !n.isIntegralNumber())
                    throw c.err("seeds", "'" + n.asText() + "' is not an integer");
                if (seeds.contains(n.asLong())) throw c.err("seeds", "seed " + n.asLong() + " is listed twice");
                seeds.add(n.asLong());
            }
        }
        JsonNode ax = root.get(GridKeys.AXES.name);
        if (ax == null || !ax.isObject())
            throw c.err("axes", "missing: a mapping of axis -> list of values; axes are " + AXES);
        c.onlyKeys(ax, "axes", AXES);
        Map<String, List<String>> axes = new LinkedHashMap<>();
        Map<String, List<String>> custom =
                UserAxes.parseCustom(c, ax, model); // first: it says whether a model is named
        Set<String> given = new HashSet<>();
        for (Key<?> key : GridKeys.in(Section.AXES)) {
            if (key == GridKeys.CUSTOM) continue;
            JsonNode list = ax.get(key.name);
            List<String> values = new ArrayList<>();
            if (list != null && UserModel.ARCHITECTURE_AXES.contains(key.name)) given.add(key.name);
            if (list == null) {
                String d = model != null ? UserModel.placeholder(key.name) : null;
                if (d == null) d = defaultAxisValue(key, train);
                if (d == null) throw c.err(key.path(), "missing: list the values of " + key.name);
                values.add(d);
            } else {
                if (!list.isArray()) list = new ObjectMapper().createArrayNode().add(list);
                if (list.isEmpty()) throw c.err(key.path(), "empty list: the product would be empty");
                for (JsonNode v : list) {
                    String canon = canonicalAxisValue(c, key.path(), key, v);
                    if (values.contains(canon)) throw c.err(key.path(), "value '" + canon + "' is listed twice");
                    values.add(canon);
                }
            }
            axes.put(key.name, List.copyOf(values));
        }
        custom.forEach((k, v) -> axes.put(CUSTOM_PREFIX + k, v));
        List<String> excludable = new ArrayList<>(AXES);
        excludable.remove(GridKeys.CUSTOM.name);
        excludable.addAll(custom.keySet());
        List<Map<String, String>> excludes = new ArrayList<>();
        JsonNode ex = root.get(GridKeys.EXCLUDE.name);
        if (ex != null) {
            if (!ex.isArray())
                throw c.err("exclude", "must be a list of mappings, e.g. [{norm: none, placement: post}]");
            int i = 0;
            for (JsonNode f : ex) {
                String where = "exclude[" + i++ + "]";
                if (!f.isObject() || f.isEmpty()) throw c.err(where, "must be a non-empty mapping of axis -> value");
                c.onlyKeys(f, where, excludable);
                Map<String, String> m = new LinkedHashMap<>();
                f.fields().forEachRemaining(e -> {
                    String at = where + "." + e.getKey();
                    if (custom.containsKey(e.getKey()))
                        m.put(CUSTOM_PREFIX + e.getKey(), UserAxes.value(c, at, e.getValue()));
                    else m.put(e.getKey(), canonicalAxisValue(c, at, axisKey(e.getKey()), e.getValue()));
                });
                excludes.add(m);
            }
        }
        String batchKey = ax.has("batch") ? GridKeys.BATCH_AXIS.path() : GridKeys.BATCH.path();
        if (task.samples > 0)
            for (String b : axes.get("batch"))
                if (Integer.parseInt(b) > task.samples)
                    throw c.err(batchKey, "batch " + b + " is larger than task.samples " + task.samples);
        if (axes.get("norm").contains(Norm.BATCH.key))
            for (String b : axes.get("batch"))
                if (Integer.parseInt(b) < 2)
                    throw c.err(
                            batchKey, "batch " + b + " with norm: batch: batch statistics need at least 2 examples");
        GridSpec g =
                new GridSpec(source, name, task, train, List.copyOf(seeds), axes, excludes, model, Set.copyOf(given));
        long product = seeds.size();
        for (List<String> v : axes.values()) product *= v.size();
        if (product > GridKeys.MAX_RUNS)
            throw c.err("axes", "the product has " + product + " runs; at most " + GridKeys.MAX_RUNS);
        List<RunConfig> runs = g.expand();
        if (runs.isEmpty()) throw c.err("exclude", "every combination is excluded: the sweep would be empty");
        RunRules rules = new RunRules(c);
        for (RunConfig rc : runs) rules.check(rc);
        return g;
    }

    private static Key<?> axisKey(String name) {
        for (Key<?> k : GridKeys.in(Section.AXES)) if (k.name.equals(name)) return k;
        throw new IllegalArgumentException("no axis " + name);
    }

    /** An absent axis takes its train.* value or its declared default; null: the axis is required. */
    private static String defaultAxisValue(Key<?> key, TrainSpec train) {
        if (key == GridKeys.OPTIMIZER_AXIS) return train.optimizer.name().toLowerCase();
        if (key == GridKeys.LR_AXIS) return Canon.num(train.lr);
        if (key == GridKeys.BATCH_AXIS) return Integer.toString(train.batch);
        if (key == GridKeys.CLIP_AXIS) return train.clip;
        if (key == GridKeys.SEQ_LEN)
            return "0"; // feed-forward runs have none; recurrent runs and transformers must list it (RunRules)
        if (key instanceof GridKeyTypes.IntKey ik && ik.dflt != null) return ik.dflt.toString();
        Object d = key instanceof GridKeyTypes.ChoiceKey<?> ck ? ck.dflt : null;
        return d == null ? null : d.toString();
    }

    /** Validates one axis value and returns its canonical text. */
    private static String canonicalAxisValue(GridContext c, String where, Key<?> key, JsonNode v) {
        Object parsed = key.parse(c, where, v);
        if (parsed instanceof Double d) return Canon.num(d);
        if (parsed instanceof Enum<?> e)
            return e.name().toLowerCase(); // every enum axis is spelled as its lower-case name
        return parsed.toString();
    }

    private static TrainSpec parseTrain(GridContext c, JsonNode t) {
        c.onlyKeys(t, "train", GridKeys.names(Section.TRAIN));
        int steps = GridKeys.STEPS.read(c, t);
        int batch = GridKeys.BATCH.read(c, t);
        TrainSpec.Optimizer opt = GridKeys.OPTIMIZER.read(c, t);
        double lr = GridKeys.LR.read(c, t);
        String clip = GridKeys.CLIP.read(c, t);
        TrainSpec.DType dtype = GridKeys.DTYPE.read(c, t);
        int warmup = GridKeys.WARMUP.read(c, t);
        if (warmup > steps) throw c.err("train.warmup", warmup + " is longer than the run (train.steps " + steps + ")");
        double gateBias = GridKeys.HIGHWAY_GATE_BIAS.read(c, t);
        double forgetBias = GridKeys.FORGET_BIAS.read(c, t);
        int ffn = GridKeys.FFN.read(c, t);
        int stages = GridKeys.STAGES.read(c, t), groups = GridKeys.GROUPS.read(c, t);
        return new TrainSpec(steps, batch, opt, lr, clip, dtype, warmup, gateBias, forgetBias, ffn, stages, groups);
    }

    /** The runs of this grid: cartesian product minus excludes, meaningless settings collapsed ({@link RunConfig}), in a fixed order. */
    public List<RunConfig> expand() {
        Map<String, RunConfig> out = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(axes.keySet());
        int[] idx = new int[keys.size()];
        while (true) {
            Map<String, String> point = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++)
                point.put(keys.get(i), axes.get(keys.get(i)).get(idx[i]));
            if (excludes.stream().noneMatch(f -> f.entrySet().stream()
                    .allMatch(e -> e.getValue().equals(point.get(e.getKey()))))) {
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
        TrainSpec tr = train.with(
                TrainSpec.Optimizer.valueOf(p.get("optimizer").toUpperCase()),
                Double.parseDouble(p.get("lr")),
                Integer.parseInt(p.get("batch")),
                p.get("clip"));
        int seqLen = Integer.parseInt(p.get("seq_len"));
        if (task.kind == TaskSpec.Kind.MODADD && seqLen == 0) seqLen = TaskSpec.MODADD_SEQ_LEN; // fixed by the task
        UserModel user = null;
        if (model != null) {
            Map<String, String> custom = new LinkedHashMap<>();
            p.forEach((k, v) -> {
                if (k.startsWith(CUSTOM_PREFIX)) custom.put(k.substring(CUSTOM_PREFIX.length()), v);
            });
            user = new UserModel(model, custom, given);
        }
        return new RunConfig(
                name,
                Integer.parseInt(p.get("depth")),
                Integer.parseInt(p.get("width")),
                Activation.parse(p.get("activation")),
                Init.parse(p.get("init")),
                Norm.valueOf(p.get("norm").toUpperCase()),
                Placement.parse(p.get("placement")),
                Skip.valueOf(p.get("skip").toUpperCase()),
                Cell.parse(p.get("cell")),
                seqLen,
                RecInit.parse(p.get("rec_init")),
                Arch.parse(p.get("arch")),
                Integer.parseInt(p.get("heads")),
                Positions.valueOf(p.get("positions").toUpperCase()),
                task,
                tr,
                seed,
                user);
    }

    /** Rewrites every run's task (used once the driver has read a table file's shape). */
    public static List<RunConfig> withTask(List<RunConfig> runs, Function<TaskSpec, TaskSpec> f) {
        List<RunConfig> out = new ArrayList<>();
        for (RunConfig r : runs) out.add(r.withTask(f.apply(r.task)));
        return out;
    }
}
