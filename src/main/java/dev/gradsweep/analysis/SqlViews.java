package dev.gradsweep.analysis;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.store.OutputDir;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Registers a sweep's Iceberg tables as the Spark SQL views runs, steps, params, layers, then the analysis views of
 * jobs/sql (layer_profile, layer_stalls, loss_plateaus, stalls, verdict_evidence, verdict_axes, axis_effects,
 * verdicts). Only committed runs are visible.
 */
public final class SqlViews {
    /**
     * The first answer a newcomer sees after a sweep: did each run learn, how much gradient reaches layer 0, and why.
     * It reads verdict_evidence, whose rows and columns verdicts repeats (verdicts adds the advice, which the answer
     * does not show), so it needs only the views {@link #registerForFirstAnswer} creates. Ties (many runs' delta is
     * exactly 0: -Infinity) are ordered by run id, so the 200 rows printed do not depend on the order in which the sort
     * meets them.
     */
    public static final String FIRST_ANSWER = String.join(
            "\n",
            "SELECT r.arch, r.cell, r.depth, r.activation, r.init, r.norm, r.placement, r.skip, r.status,",
            "       round(r.loss_first, 4) AS loss_first, round(r.loss_last, 4) AS loss_last, round(r.gap_closed, 3) AS gap_closed,",
            "       v.verdict, round(v.log10_delta_in, 2) AS log10_delta_first_over_last, v.stall_layer,",
            "       v.memory_horizon, v.reason",
            "FROM runs r JOIN verdict_evidence v USING (run_id)",
            "ORDER BY log10_delta_first_over_last, run_id");

    private SqlViews() {}

    /** The views the SQL files cache lazily: their rows are kept from their first use, for the queries after it. */
    public static final List<String> CACHED_VIEWS = List.of("layer_stalls", "verdict_evidence");

    /**
     * Drops the lazy caches of {@link #CACHED_VIEWS} before a single query on views registered with them: filling a
     * cache computes every column of the view, where a plan without it reads only what the query needs, and one query
     * has no second use to repay it. ({@link #registerForOneQuery} registers the views without the caches.)
     */
    public static void forOneQuery(SparkSession spark) {
        for (String v : CACHED_VIEWS) spark.catalog().uncacheTable(v);
    }

    /** The views each file of {@link SqlScript#VIEW_FILES} creates, read once from its CREATE statements. */
    private static final List<List<String>> VIEWS_OF_FILE =
            SqlScript.VIEW_FILES.stream().map(SqlScript::viewsCreatedBy).toList();

    /** Views that {@link #register} adds on top of the tables, in the files' order. */
    public static final List<String> ANALYSIS_VIEWS =
            VIEWS_OF_FILE.stream().flatMap(List::stream).toList();

    public static void register(SparkSession spark, String dir) {
        register(spark, dir, Map.of());
    }

    /** @param overrides analysis parameters (see {@link AnalysisParams}); the values are set in the session conf. */
    public static void register(SparkSession spark, String dir, Map<String, String> overrides) {
        register(spark, dir, overrides, SqlScript.VIEW_FILES, true);
    }

    /**
     * Every view, for a single query: as {@link #register} followed by {@link #forOneQuery}, without planning the
     * caches that {@link #forOneQuery} would drop.
     */
    public static void registerForOneQuery(SparkSession spark, String dir, Map<String, String> overrides) {
        register(spark, dir, overrides, SqlScript.VIEW_FILES, false);
    }

    /**
     * Answers one query ({@code sql -e}) with only the views it names and those below them, without caches: analysing
     * the views is most of a short query's time, and a query of the tables alone needs none. A name the scan cannot
     * see (a view named by a computed {@code IDENTIFIER(...)}) fails the first analysis; the query then gets every
     * view.
     */
    public static Dataset<Row> queryOnce(SparkSession spark, String dir, Map<String, String> overrides, String query) {
        register(spark, dir, overrides, viewFilesFor(query), false);
        try {
            return spark.sql(query);
        } catch (Exception e) {
            if (!(e instanceof AnalysisException a) || !"TABLE_OR_VIEW_NOT_FOUND".equals(a.getErrorClass())) throw e;
            registerForOneQuery(spark, dir, overrides);
            return spark.sql(query);
        }
    }

    /**
     * The view files a query needs: those up to the last that creates a view the query names as a word (the files are
     * in dependency order), all of them for a statement that lists views (SHOW). A column or alias spelled like a
     * view only costs that view's analysis.
     */
    static List<String> viewFilesFor(String query) {
        if (mentions(query, "SHOW")) return SqlScript.VIEW_FILES;
        int last = -1;
        for (int i = 0; i < VIEWS_OF_FILE.size(); i++)
            for (String view : VIEWS_OF_FILE.get(i)) if (mentions(query, view)) last = i;
        return SqlScript.VIEW_FILES.subList(0, last + 1);
    }

    private static boolean mentions(String query, String word) {
        return Pattern.compile("\\b" + Pattern.quote(word) + "\\b", Pattern.CASE_INSENSITIVE)
                .matcher(query)
                .find();
    }

    /**
     * The views {@link #FIRST_ANSWER} reads, up to verdict_evidence, for that one query (no caches): axis_effects and
     * verdicts, which only add the advice, are left out, and analysing them is most of a registration's time.
     */
    public static void registerForFirstAnswer(SparkSession spark, String dir) {
        List<String> files = SqlScript.VIEW_FILES;
        register(spark, dir, Map.of(), files.subList(0, files.indexOf("30_verdicts.sql") + 1), false);
    }

    /**
     * The tables and layer_stalls computed from params and layers (jobs/sql/15_layer_stalls.sql) with the default
     * parameters, even where the stored table could answer: what a backfill of that table writes, and what its rows
     * are checked against. No cache.
     */
    public static void registerComputedStalls(SparkSession spark, String dir) {
        List<String> files = SqlScript.VIEW_FILES;
        register(spark, dir, Map.of(), files.subList(0, files.indexOf(SqlScript.STALLS_FILE) + 1), false, false);
    }

    private static void register(
            SparkSession spark, String dir, Map<String, String> overrides, List<String> files, boolean cache) {
        register(spark, dir, overrides, files, cache, true);
    }

    /**
     * @param stored read layer_stalls from the table of that name where it is complete and was computed with the
     *     session's gradsweep.frozen_update_ratio (jobs/sql/layer_stalls_table.sql), instead of aggregating params
     *     and layers: the same rows, and most of the first answer's cost saved
     */
    private static void register(
            SparkSession spark,
            String dir,
            Map<String, String> overrides,
            List<String> files,
            boolean cache,
            boolean stored) {
        Map<String, String> params = AnalysisParams.resolve(overrides);
        storeAnalyzedPlans(spark);
        registerTableViews(spark, dir);
        if (stored && storedStallsAnswer(spark, dir, params))
            files = files.stream()
                    .map(f -> f.equals(SqlScript.STALLS_FILE) ? SqlScript.STALLS_TABLE_FILE : f)
                    .toList();
        registerAnalysis(spark, params, files, cache);
    }

    /** True when dir's layer_stalls table holds every committed run's rows, computed with the threshold in force. */
    static boolean storedStallsAnswer(SparkSession spark, String dir, Map<String, String> params) {
        OutputDir out = new OutputDir(dir);
        Double stored = ResultTables.stallsFrozenUpdateRatio(out, spec(spark, out));
        return stored != null && stored == AnalysisParams.value(params, "frozen_update_ratio");
    }

    /**
     * The six tables of {@code dir} as the views runs, steps, params, layers, timesteps and attention, by
     * jobs/sql/01_tables.sql (the file spark-sql users run): the other tables' rows of a batch are committed before
     * its runs rows, so those views keep only rows of committed runs. No analysis views: for readers of the tables
     * alone. An output written before the attention table gets an empty attention view (a sweep's --resume creates
     * the table).
     */
    public static void registerTableViews(SparkSession spark, String dir) {
        String prefix = registerTables(spark, dir);
        spark.conf().set("spark.sql.variable.substitute", "true");
        spark.conf().set("gradsweep.tables", prefix.substring(0, prefix.length() - 1));
        OutputDir out = new OutputDir(dir);
        boolean attention = ResultTables.exists(out, spec(spark, out), Table.ATTENTION);
        for (String stmt : SqlScript.statements(SqlScript.resource("01_tables.sql")))
            if (attention || !stmt.startsWith("CREATE OR REPLACE TEMPORARY VIEW " + Table.ATTENTION.dir + " "))
                spark.sql(withMissingColumns(spark, prefix, stmt));
        if (!attention)
            spark.createDataFrame(List.of(), Schemas.sparkSchema(Table.ATTENTION))
                    .createOrReplaceTempView(Table.ATTENTION.dir);
    }

    /**
     * A table view's statement that also selects, as nulls, the columns gradsweep declares and the table lacks (an
     * output written before they were added, read without a write that would evolve its schema), so every view reads
     * any output.
     */
    private static String withMissingColumns(SparkSession spark, String prefix, String stmt) {
        for (Table t : Table.values()) {
            String from = "SELECT * FROM ${gradsweep.tables}." + t.dir;
            if (!stmt.contains(from + " ") && !stmt.endsWith(from)) continue;
            java.util.Set<String> has =
                    java.util.Set.of(spark.table(prefix + t.dir).columns());
            StringBuilder nulls = new StringBuilder();
            for (var f : Schemas.sparkSchema(t).fields())
                if (!has.contains(f.name()))
                    nulls.append(", CAST(NULL AS ")
                            .append(f.dataType().sql())
                            .append(") AS ")
                            .append(f.name());
            return stmt.replace(from, "SELECT *" + nulls + " FROM ${gradsweep.tables}." + t.dir);
        }
        return stmt;
    }

    /**
     * Makes a sweep's Iceberg tables readable in the session and returns the prefix that names them
     * ({@link ResultTables.CatalogSpec#registerIn}); a directory without tables, or in the per-run layout, is an error.
     */
    public static String registerTables(SparkSession spark, String dir) {
        OutputDir out = new OutputDir(dir);
        ResultTables.CatalogSpec spec = spec(spark, out);
        try {
            if (!spec.configured() && !out.fs().isDirectory(out.path()))
                throw new BadInputException("--in " + dir + ": no such directory");
            if (ResultTables.legacy(out))
                throw new BadInputException("--in " + dir
                        + " holds results in the per-run layout of an earlier gradsweep; convert it once with: "
                        + "bin/gradsweep migrate --in " + dir);
            if (!ResultTables.exists(out, spec))
                throw new BadInputException("--in " + dir + ": no result tables (no "
                        + (spec.configured()
                                ? "table runs in namespace " + spec.namespace()
                                : out.path(Table.RUNS.dir, "metadata"))
                        + "); is it a sweep's output directory?");
        } catch (IOException e) {
            throw new BadInputException("--in " + dir + ": cannot be read: " + e.getMessage());
        }
        return spec.registerIn(spark.conf()::set);
    }

    /**
     * What the views of {@code dir} read, as of now: the runs table's snapshot id, which moves with every commit a view
     * can see. Views registered before it moved still answer, but the cached ones (layer_stalls, verdict_evidence) with
     * the rows of the commits before.
     */
    public static long version(SparkSession spark, String dir) {
        OutputDir out = new OutputDir(dir);
        return ResultTables.runsSnapshot(out, spec(spark, out));
    }

    private static ResultTables.CatalogSpec spec(SparkSession spark, OutputDir out) {
        Map<String, String> conf =
                scala.collection.JavaConverters.mapAsJavaMap(spark.conf().getAll());
        return ResultTables.CatalogSpec.of(out.location(), conf);
    }

    /**
     * Temporary views created from now on in this session keep their analyzed plan instead of their SQL text. With the
     * text, every reference to a view analyses it again, with every view below it: the layered views cost seconds of
     * single-threaded planning per query, and no two analyses of a view gave plans the cache manager could match, so
     * the cached views (layer_stalls, verdict_evidence) were computed again at every use. The stored plan holds the
     * Iceberg tables loaded with the catalog's cache off ({@link ResultTables.CatalogSpec#registerIn}), which refresh
     * to the latest commit whenever a query scans them; the cached views keep the rows of their first use until the
     * views are registered again ({@link LiveViews} does that when the output has new commits).
     */
    static void storeAnalyzedPlans(SparkSession spark) {
        spark.conf().set("spark.sql.legacy.storeAnalyzedPlanForView", "true");
    }

    /** Creates the analysis views over already registered tables; the SQL text substitutes ${gradsweep.*}. */
    static void registerAnalysis(SparkSession spark, Map<String, String> params) {
        registerAnalysis(spark, params, SqlScript.VIEW_FILES, true);
    }

    /**
     * @param cache false: the files' {@code CACHE LAZY TABLE} statements are skipped (their {@code UNCACHE} still runs,
     *     so no cache of an earlier registration answers for the views created now)
     */
    static void registerAnalysis(SparkSession spark, Map<String, String> params, List<String> files, boolean cache) {
        storeAnalyzedPlans(spark);
        spark.conf().set("spark.sql.variable.substitute", "true");
        // the medians are percentile_disc's ceil(n/2)-th smallest value, what the executors store (LayerStallRows)
        spark.conf().set("spark.sql.legacy.percentileDiscCalculation", "false");
        params.forEach((k, v) -> spark.conf().set(k, v));
        for (String file : files)
            for (String stmt : SqlScript.statements(SqlScript.resource(file)))
                if (cache || !stmt.startsWith("CACHE LAZY TABLE")) spark.sql(stmt);
    }
}
