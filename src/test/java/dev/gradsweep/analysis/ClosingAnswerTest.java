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

    @BeforeAll
    static void sweep() throws Exception {
        Path g = tmp.resolve("g.yaml");
        Files.writeString(g, GRID);
        out = tmp.resolve("out").toString();
        FixtureSweeps.uncompacted(g.toString(), out);
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("closing-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
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
