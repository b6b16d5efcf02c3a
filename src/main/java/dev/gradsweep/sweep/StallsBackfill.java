package dev.gradsweep.sweep;

import dev.gradsweep.analysis.AnalysisParams;
import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.store.CommitPoints;
import dev.gradsweep.store.ResultTables;
import dev.gradsweep.store.Table;
import java.io.PrintStream;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Makes an output's layer_stalls table complete before anything is appended to it: the executors write the rows of
 * the runs they train, so the table needs the rows of the runs committed before it existed (an output of an older
 * gradsweep, a migrated one), or of an earlier backfill that was interrupted. Those are computed once by the view's SQL
 * and appended; then the table is marked complete with the threshold its rows were computed with.
 */
final class StallsBackfill {
    private StallsBackfill() {}

    /** @param dir the output directory (the views read it through the session, as the readers do) */
    static void complete(SparkSession spark, ResultTables tables, String dir, PrintStream err) {
        if (tables.stallsFrozenUpdateRatio() != null) return;
        double frozen = AnalysisParams.value(AnalysisParams.resolve(Map.of()), "frozen_update_ratio");
        tables.clearStalls();
        int runs = tables.committedRuns().size();
        if (runs > 0) {
            long t0 = System.nanoTime();
            SparkSession s = spark.newSession();
            SqlViews.registerComputedStalls(s, dir);
            String cols = Table.LAYER_STALLS.columns.stream()
                    .map(Table.Column::name)
                    .collect(java.util.stream.Collectors.joining(", "));
            s.sql("INSERT INTO " + s.conf().get("gradsweep.tables") + "." + Table.LAYER_STALLS.dir + " (" + cols
                    + ") SELECT " + cols + " FROM layer_stalls");
            CommitPoints.reached("backfill layer_stalls");
            err.printf(
                    "layer_stalls: computed the rows of %d runs committed before the table existed (%.1f s)%n",
                    runs, (System.nanoTime() - t0) / 1e9);
        }
        tables.markStallsComplete(frozen);
    }
}
