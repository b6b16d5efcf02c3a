package dev.gradsweep.api;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.Table;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * gradsweep for a network you build and train yourself with Deeplearning4j (docs/api.md): every training step's
 * per-layer statistics go into the same tables a sweep writes, which {@code gradsweep sql} and {@code gradsweep
 * report} read.
 *
 * <pre>{@code
 * try (RecordedRun run = Gradsweep.record(Path.of("results/mine"), "resnet-try-1", Map.of("lr", 0.01))) {
 *     net.addListeners(run.listener());
 *     try {
 *         for (int epoch = 0; epoch < 5; epoch++) net.fit(trainIterator);
 *     } catch (RuntimeException e) {
 *         run.fail(e); // recorded as failed; without it, close() would record the run as ok
 *         throw e;
 *     }
 * }
 * }</pre>
 */
public final class Gradsweep {
    /**
     * The runs columns a run's configuration may set (docs/schema.md), and {@code loss_baseline}: the loss of the best
     * constant predictor on your data, from which {@code gap_closed} and the verdicts' progress follow.
     */
    public static final List<String> CONFIG_COLUMNS = List.of(
            "depth",
            "width",
            "activation",
            "init",
            "norm",
            "placement",
            "task",
            "optimizer",
            "lr",
            "batch",
            "steps",
            "clip",
            "dtype",
            "seed",
            "seq_len",
            "rec_init",
            "forget_bias",
            "warmup",
            "highway_gate_bias",
            "arch",
            "heads",
            "ffn",
            "positions",
            "loss_baseline");

    private Gradsweep() {}

    /** {@link #record(Path, String, Map)} without configuration columns. */
    public static RecordedRun record(Path out, String name) {
        return record(out, name, Map.of());
    }

    /**
     * Starts recording one run into the gradsweep output {@code out} (created if missing; an existing one gains a
     * run): takes the output's lock, as a sweep does, until the run is committed, so another writer is refused
     * meanwhile (and this call is refused while one writes).
     *
     * @param name the run's {@code sweep} column: what groups runs in queries and reports
     * @param config values of {@link #CONFIG_COLUMNS} (numbers for the numeric ones); columns not given are null
     * @throws BadInputException a blank name, an unknown column or a value of the wrong type (nothing was written),
     *     or an output another writer holds
     */
    public static RecordedRun record(Path out, String name, Map<String, ?> config) {
        if (name == null || name.isBlank()) throw new BadInputException("gradsweep listener: the run needs a name");
        Map<String, Object> row = new LinkedHashMap<>();
        Double baseline = null;
        for (Map.Entry<String, ?> e : config.entrySet()) {
            String k = e.getKey();
            if (!CONFIG_COLUMNS.contains(k))
                throw new BadInputException("gradsweep listener run " + name + ": unknown configuration column '" + k
                        + "'; allowed: " + String.join(", ", CONFIG_COLUMNS));
            if (k.equals("loss_baseline"))
                baseline = number(name, k, e.getValue()).doubleValue();
            else row.put(k, value(name, k, e.getValue()));
        }
        row.put("sweep", name);
        // δ is read as in a plain feed-forward net: each layer's bias (or β) gradient, relative to the output layer's
        row.put("skip", "none");
        row.put("cell", "none");
        return new RecordedRun(new OutputDir(out.toString()), newRunId(), row, baseline);
    }

    /**
     * Records one run around {@code training}, which gets the listener to add to its network: committed {@code ok}
     * when it returns, {@code failed} (and rethrown) when it throws.
     */
    public static String record(Path out, String name, Map<String, ?> config, Training training) throws Exception {
        try (RecordedRun run = record(out, name, config)) {
            try {
                training.train(run.listener());
            } catch (Exception | Error e) {
                run.fail(e);
                throw e;
            }
            return run.runId();
        }
    }

    /** Your training, given the listener to add to the network it trains. */
    @FunctionalInterface
    public interface Training {
        void train(TrainingListener listener) throws Exception;
    }

    /** The value as the column's type stores it, or a clear error. */
    private static Object value(String name, String column, Object v) {
        Table.Kind kind = Table.RUNS.columns.get(Table.RUNS.index(column)).kind();
        if (v == null) return null;
        if (kind == Table.Kind.STRING) {
            if (v instanceof String || v instanceof Enum<?>) return v.toString();
            throw new BadInputException(
                    "gradsweep listener run " + name + ": " + column + " must be a string, not " + v + "");
        }
        Number n = number(name, column, v);
        if (kind == Table.Kind.DOUBLE) return n.doubleValue();
        if (n.doubleValue() != Math.rint(n.doubleValue()))
            throw new BadInputException(
                    "gradsweep listener run " + name + ": " + column + " must be a whole number, not " + v);
        return n.longValue();
    }

    private static Number number(String name, String column, Object v) {
        if (v instanceof Number n) return n;
        throw new BadInputException(
                "gradsweep listener run " + name + ": " + column + " must be a number, not '" + v + "'");
    }

    /** 16 random hex digits, the form of a sweep's run ids: every recorded run is a new one. */
    private static String newRunId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }
}
