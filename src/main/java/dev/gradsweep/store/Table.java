package dev.gradsweep.store;

import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The result tables (docs/schema.md), every column in one place. Column names are snake_case and stable: add
 * columns, never rename them. Rows are {@code Object[]} in column order; null means "not applicable"; timestamps are
 * microseconds since the epoch.
 */
public enum Table {
    RUNS(
            "runs",
            s("run_id"),
            s("sweep"),
            i("depth"),
            i("width"),
            s("activation"),
            s("init"),
            s("norm"),
            s("placement"),
            s("skip"),
            s("task"),
            s("optimizer"),
            d("lr"),
            i("batch"),
            i("steps"),
            s("clip"),
            s("dtype"),
            l("seed"),
            s("status"),
            s("error"),
            i("steps_done"),
            d("loss_first"),
            d("loss_last"),
            d("loss_best"),
            l("wall_ms"),
            d("ms_per_step"),
            s("backend"),
            s("device"),
            s("host"),
            i("attempt"),
            ts("started_at"),
            ts("finished_at"),
            l("n_params"),
            i("n_layers"),
            s("engine"),
            d("loss_baseline"),
            d("gap_closed"),
            i("loss_window"),
            s("gradsweep_version"),
            s("git_commit"),
            s("nd4j_backend"),
            s("nd4j_version"),
            s("stats_path"),
            s("cell"),
            i("seq_len"),
            s("rec_init"),
            d("forget_bias"),
            i("warmup"),
            d("highway_gate_bias"),
            s("arch"),
            i("heads"),
            i("ffn"),
            s("positions"),
            i("stages"),
            i("groups"),
            s("model"),
            s("custom")),
    STEPS(
            "steps",
            s("run_id"),
            i("step"),
            d("loss"),
            d("grad_l2_total"),
            d("update_l2_total"),
            d("lr"),
            d("step_ms"),
            d("heldout_loss")),
    PARAMS(
            "params",
            s("run_id"),
            i("step"),
            i("layer"),
            s("layer_name"),
            s("param"),
            i("size"),
            d("grad_l2"),
            d("grad_mean_abs"),
            d("grad_max_abs"),
            d("grad_mean"),
            d("param_l2"),
            d("update_l2"),
            d("update_ratio"),
            d("grad_zero_frac"),
            l("nonfinite")),
    LAYERS(
            "layers",
            s("run_id"),
            i("step"),
            i("layer"),
            s("layer_name"),
            s("kind"),
            d("act_mean"),
            d("act_std"),
            d("act_saturated_frac"),
            d("act_dead_frac"),
            d("act_zero_frac"),
            d("act_slope_sq_mean"),
            d("act_grad_l2"),
            d("response_std"),
            s("delta_from")),
    TIMESTEPS(
            "timesteps",
            s("run_id"),
            i("step"),
            i("layer"),
            s("layer_name"),
            i("t"),
            d("grad_h_l2"),
            d("grad_h_zero_frac"),
            l("grad_h_nonfinite"),
            d("grad_c_l2"),
            d("h_mean_abs"),
            d("act_saturated_frac"),
            d("act_slope_sq_mean"),
            d("gate_mean")),
    /**
     * One row per run × step × transformer block × head (docs/schema.md#attention): the head's attention entropy over
     * its queries, its largest logit, and the block's token similarity, repeated on each of the block's head rows.
     */
    ATTENTION(
            "attention",
            s("run_id"),
            i("step"),
            i("layer"),
            i("head"),
            d("entropy_mean"),
            d("entropy_min"),
            d("max_logit"),
            d("token_cos_mean")),
    /**
     * One row per run and layer: the analysis view of the same name (jobs/sql/15_layer_stalls.sql), computed by the
     * executor as it writes the run ({@link LayerStallRows}), so the verdicts need not aggregate params and layers.
     */
    LAYER_STALLS(
            "layer_stalls",
            s("run_id"),
            i("layer"),
            i("from_output"),
            i("delta_ref_layer"),
            l("steps"),
            d("log10_delta_rel"),
            d("log10_act_rel"),
            d("update_ratio"),
            l("frozen_steps"),
            i("frozen_from"),
            d("dead_frac"),
            d("saturated_frac"),
            d("gate_mean"),
            d("gate_saturated_frac"),
            d("slope_w"),
            d("slope_delta"),
            d("slope_act"));

    public enum Kind {
        STRING,
        INT,
        LONG,
        DOUBLE,
        TIMESTAMP
    }

    public record Column(String name, Kind kind) {}

    public final String dir;
    public final List<Column> columns;
    public final MessageType schema;

    Table(String dir, Column... cols) {
        this.dir = dir;
        this.columns = List.of(cols);
        List<Type> fields = new ArrayList<>();
        for (Column c : cols) fields.add(parquetType(c));
        this.schema = new MessageType(dir, fields);
    }

    public int index(String column) {
        for (int i = 0; i < columns.size(); i++) if (columns.get(i).name().equals(column)) return i;
        throw new IllegalArgumentException(dir + " has no column " + column);
    }

    private static Type parquetType(Column c) {
        switch (c.kind()) {
            case STRING:
                return Types.optional(PrimitiveTypeName.BINARY)
                        .as(LogicalTypeAnnotation.stringType())
                        .named(c.name());
            case INT:
                return Types.optional(PrimitiveTypeName.INT32).named(c.name());
            case LONG:
                return Types.optional(PrimitiveTypeName.INT64).named(c.name());
            case DOUBLE:
                return Types.optional(PrimitiveTypeName.DOUBLE).named(c.name());
            case TIMESTAMP:
                return Types.optional(PrimitiveTypeName.INT64)
                        .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS))
                        .named(c.name()); // Iceberg's unit
            default:
                throw new IllegalStateException();
        }
    }

    private static Column s(String n) {
        return new Column(n, Kind.STRING);
    }

    private static Column i(String n) {
        return new Column(n, Kind.INT);
    }

    private static Column l(String n) {
        return new Column(n, Kind.LONG);
    }

    private static Column d(String n) {
        return new Column(n, Kind.DOUBLE);
    }

    private static Column ts(String n) {
        return new Column(n, Kind.TIMESTAMP);
    }
}
