package dev.gradsweep.analysis;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The views of one output for a reader that stays open while sweeps commit to it (the {@code sql} shell): before each
 * statement, the views are registered again if the output has new commits, so the cached views never answer with the
 * rows of an earlier commit. A one-shot reader ({@code sql -e}, {@code report}) registers once with {@link SqlViews}.
 */
public final class LiveViews {
    private final SparkSession spark;
    private final String dir;
    private final Map<String, String> overrides;
    private long version;

    public LiveViews(SparkSession spark, String dir, Map<String, String> overrides) {
        this.spark = spark;
        this.dir = dir;
        this.overrides = overrides;
        // read before registering: a commit in between is seen at the next statement
        this.version = SqlViews.version(spark, dir);
        SqlViews.register(spark, dir, overrides);
    }

    /** Runs one statement on the views as of the output's latest commit. */
    public Dataset<Row> sql(String statement) {
        long now = SqlViews.version(spark, dir);
        if (now != version) {
            SqlViews.register(spark, dir, overrides);
            version = now;
        }
        return spark.sql(statement);
    }
}
