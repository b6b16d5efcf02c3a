package dev.gradsweep.analysis;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.Table;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Registers a sweep's tables as Spark SQL views, then the analysis views of jobs/sql (layer_profile, layer_stalls,
 * loss_plateaus, stalls, verdict_evidence, axis_effects, verdicts). Only committed runs are visible: steps/params/layers are semi-joined to runs,
 * so files of an interrupted attempt never reach a query.
 */
public final class SqlViews {
    /** The first answer a newcomer sees after a sweep: did each run learn, how much gradient reaches layer 0, and why. */
    public static final String FIRST_ANSWER = String.join("\n",
            "SELECT r.depth, r.activation, r.init, r.norm, r.skip, r.status,",
            "       round(r.loss_first, 4) AS loss_first, round(r.loss_last, 4) AS loss_last, round(r.gap_closed, 3) AS gap_closed,",
            "       v.verdict, round(v.log10_delta_in, 2) AS log10_delta_first_over_last, v.stall_layer, v.reason",
            "FROM runs r JOIN verdicts v USING (run_id)",
            "ORDER BY log10_delta_first_over_last");

    private SqlViews() {
    }

    /** Views that {@link #register} adds on top of the four tables. */
    public static final List<String> ANALYSIS_VIEWS = List.of("layer_profile", "layer_stalls", "loss_plateaus", "stalls", "verdict_evidence", "axis_effects", "verdicts");

    public static void register(SparkSession spark, String dir) {
        register(spark, dir, Map.of());
    }

    /** @param overrides analysis parameters (see {@link AnalysisParams}); the values are set in the session conf. */
    public static void register(SparkSession spark, String dir, Map<String, String> overrides) {
        Map<String, String> params = AnalysisParams.resolve(overrides);
        OutputDir out = new OutputDir(dir);
        try {
            if (!out.fs().exists(out.path(Table.RUNS.dir)) || out.committedRuns().isEmpty())
                throw new BadInputException("--in " + dir + ": no committed runs (no " + out.path(Table.RUNS.dir) + "/*.parquet)");
        } catch (IOException e) {
            throw new BadInputException("--in " + dir + ": cannot be read: " + e.getMessage());
        }
        Dataset<Row> runs = spark.read().parquet(out.path(Table.RUNS.dir).toString());
        runs.createOrReplaceTempView(Table.RUNS.dir);
        for (Table t : new Table[]{Table.STEPS, Table.PARAMS, Table.LAYERS}) {
            Dataset<Row> all = spark.read().schema(Schemas.sparkSchema(t)).parquet(out.path(t.dir).toString());
            all.join(runs.select("run_id"), all.col("run_id").equalTo(runs.col("run_id")), "left_semi").createOrReplaceTempView(t.dir);
        }
        registerAnalysis(spark, params);
    }

    /** Creates the analysis views over already registered tables; the SQL text substitutes ${gradsweep.*}. */
    static void registerAnalysis(SparkSession spark, Map<String, String> params) {
        spark.conf().set("spark.sql.variable.substitute", "true");
        params.forEach((k, v) -> spark.conf().set(k, v));
        for (String file : SqlScript.VIEW_FILES)
            for (String stmt : SqlScript.statements(SqlScript.resource(file))) spark.sql(stmt);
    }
}
