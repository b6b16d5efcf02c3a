package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.sweep.FixtureSweeps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lean registrations of a single query (the sweep's closing answer, {@code sql -e}) answer exactly what the full
 * registration with its caches answers, on a tiny sweep with more than one verdict.
 */
class ClosingAnswerTest {
    static final String GRID = String.join(
            "\n",
            "name: closing-test",
            "task: {kind: teacher, inputs: 8, samples: 64}",
            "train: {steps: 12, batch: 16, optimizer: sgd, lr: 0.05, dtype: float32}",
            "seeds: [1, 2]",
            "axes:",
            "  depth: [2, 12]",
            "  width: [8]",
            "  activation: [sigmoid, relu]",
            "  init: [xavier]",
            "");

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static String out;
    static CliChild cli;

    /** What the CLI is asked beside the views' rows: the session settings it runs them with. */
    static final List<String> SETTINGS = List.of(
            "spark.sql.adaptive.enabled",
            "spark.sql.codegen.wholeStage",
            "spark.sql.codegen.factoryMode",
            "spark.sql.shuffle.partitions",
            "spark.sql.autoBroadcastJoinThreshold");

    /** The queries compared between the CLI's session and the test's. */
    static final List<String> QUERIES = List.of(
            "SELECT * FROM layer_stalls ORDER BY run_id, layer",
            "SELECT * FROM verdicts ORDER BY run_id",
            "SELECT * FROM axis_effects ORDER BY axis, value");

    /** A threshold other than the stored table's: layer_stalls is computed from params and layers, every view runs. */
    static final Map<String, String> COMPUTED = Map.of("frozen_update_ratio", "1.00001e-4");

    @BeforeAll
    static void sweep() throws Exception {
        Path g = tmp.resolve("g.yaml");
        Files.writeString(g, GRID);
        out = tmp.resolve("out").toString();
        FixtureSweeps.uncompacted(g.toString(), out);
        Path f = tmp.resolve("queries.sql");
        List<String> stmts = new java.util.ArrayList<>();
        for (String k : SETTINGS) stmts.add("SET " + k + ";");
        for (String q : QUERIES) stmts.add(q + ";");
        Files.writeString(f, String.join("\n", stmts) + "\n");
        // local[4]: four shuffle partitions (Sessions.forQueries), where the test JVM's sessions have one
        cli = CliChild.start(
                tmp,
                "sql",
                "--in",
                out,
                "--master",
                "local[4]",
                "--format",
                "json",
                "--conf",
                "frozen_update_ratio=" + COMPUTED.get("frozen_update_ratio"),
                "-f",
                f.toString());
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("closing-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (cli != null) cli.destroy();
        if (spark != null) spark.stop();
    }

    /**
     * The views under the session settings users run them with (the CLI in a JVM of its own: code generation,
     * adaptive execution and broadcast joins on, four shuffle partitions) give the rows they give under the test JVM's
     * settings (none of these, one partition), value for value.
     */
    @Test
    void theCliSessionSettingsGiveTheRowsOfTheTestSettings() {
        List<com.fasterxml.jackson.databind.JsonNode> lines = cli.jsonLines();
        Map<String, String> set = new java.util.HashMap<>();
        for (var l : lines)
            if (l.has("key")) set.put(l.get("key").asText(), l.get("value").asText());
        assertEquals("true", set.get("spark.sql.adaptive.enabled"), set.toString());
        assertEquals("true", set.get("spark.sql.codegen.wholeStage"), set.toString());
        assertEquals("FALLBACK", set.get("spark.sql.codegen.factoryMode"), set.toString());
        assertEquals("4", set.get("spark.sql.shuffle.partitions"), set.toString());
        assertFalse(set.get("spark.sql.autoBroadcastJoinThreshold").startsWith("-1"), set.toString());

        SparkSession here = spark.newSession();
        SqlViews.register(here, out, COMPUTED);
        List<String> marks = List.of("from_output", "verdict", "fixes"); // a column only each query's rows have
        for (int i = 0; i < QUERIES.size(); i++) {
            String mark = marks.get(i);
            List<com.fasterxml.jackson.databind.JsonNode> expected = CliChild.json(here.sql(QUERIES.get(i)));
            assertTrue(expected.size() > 1, QUERIES.get(i));
            CliChild.assertSameRows(
                    expected, lines.stream().filter(l -> l.has(mark)).toList(), QUERIES.get(i));
        }
    }

    /** Rows as strings, sorted: the answer's ORDER BY has ties (runs with the same rounded delta). */
    static List<String> rows(List<Row> rows) {
        return rows.stream().map(Row::toString).sorted().toList();
    }

    @Test
    void theFirstAnswerOnItsOwnViewsIsTheAnswerOverVerdicts() {
        SparkSession full = spark.newSession();
        SqlViews.register(full, out);
        List<Row> overVerdicts = full.sql(SqlViews.FIRST_ANSWER.replace("JOIN verdict_evidence v", "JOIN verdicts v"))
                .collectAsList();
        assertEquals(8, overVerdicts.size());
        assertTrue(
                overVerdicts.stream().map(r -> r.getAs("verdict")).distinct().count() > 1,
                "a sweep with more than one verdict: " + overVerdicts);

        SparkSession lean = spark.newSession();
        SqlViews.registerForFirstAnswer(lean, out);
        assertEquals(rows(overVerdicts), rows(lean.sql(SqlViews.FIRST_ANSWER).collectAsList()));
        assertFalse(lean.catalog().tableExists("verdicts"), "the advice's views are not registered");
    }

    @Test
    void oneQueryWithoutTheCachesAnswersAsTheCachedViews() {
        SparkSession cached = spark.newSession();
        SqlViews.register(cached, out);
        String all = "SELECT * FROM verdicts";
        List<Row> withCaches = cached.sql(all).collectAsList();
        assertTrue(cached.catalog().isCached("verdict_evidence"));

        SparkSession once = spark.newSession();
        SqlViews.registerForOneQuery(once, out, java.util.Map.of());
        // its UNCACHE statements dropped the caches of the first registration, and it planned none of its own
        assertFalse(once.catalog().isCached("layer_stalls") || once.catalog().isCached("verdict_evidence"));
        assertEquals(rows(withCaches), rows(once.sql(all).collectAsList()));
    }

    @Test
    void oneQueryGetsTheViewsItNamesAndThoseBelowThem() {
        SparkSession all = spark.newSession();
        SqlViews.registerForOneQuery(all, out, Map.of());
        String count = "SELECT count(*) AS stalls_seen FROM params";

        SparkSession tables = spark.newSession();
        assertEquals(
                rows(all.sql(count).collectAsList()),
                rows(SqlViews.queryOnce(tables, out, Map.of(), count).collectAsList()));
        for (String v : SqlViews.ANALYSIS_VIEWS)
            assertFalse(tables.catalog().tableExists(v), v + " registered for a query of the tables alone");

        SparkSession stalls = spark.newSession();
        assertEquals(
                rows(all.sql("SELECT * FROM stalls").collectAsList()),
                rows(SqlViews.queryOnce(stalls, out, Map.of(), "SELECT * FROM Stalls")
                        .collectAsList()));
        assertTrue(stalls.catalog().tableExists("layer_profile")
                && stalls.catalog().tableExists("loss_plateaus"));
        assertFalse(stalls.catalog().tableExists("verdicts"));

        List<Row> verdicts = all.sql("SELECT * FROM verdicts").collectAsList();
        // a name the scan cannot see: the failed analysis registers every view and the query is answered
        SparkSession computed = spark.newSession();
        assertEquals(
                rows(verdicts),
                rows(SqlViews.queryOnce(computed, out, Map.of(), "SELECT * FROM IDENTIFIER('verd' || 'icts')")
                        .collectAsList()));

        List<String> shown =
                SqlViews.queryOnce(spark.newSession(), out, Map.of(), "SHOW VIEWS").collectAsList().stream()
                        .map(r -> r.getString(1))
                        .toList();
        assertTrue(shown.containsAll(SqlViews.ANALYSIS_VIEWS), shown.toString());
    }

    @Test
    void everyViewNamedInAQueryIsCreatedByTheLastFileRegistered() {
        for (String v : SqlViews.ANALYSIS_VIEWS) {
            List<String> files = SqlViews.viewFilesFor("SELECT * FROM " + v.toUpperCase());
            assertTrue(SqlScript.viewsCreatedBy(files.get(files.size() - 1)).contains(v), v + ": " + files);
            for (String f : files.subList(0, files.size() - 1))
                assertFalse(SqlScript.viewsCreatedBy(f).contains(v), v + " also in " + f);
        }
        assertEquals(List.of(), SqlViews.viewFilesFor("SELECT stalls_layer, memoryless FROM runs"));
    }
}
