package dev.gradsweep.sweep;

import static org.apache.spark.sql.functions.col;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Outputs in the per-run layout of gradsweep before the Iceberg tables, for the tests of {@code migrate}. */
public final class LegacyLayout {
    private LegacyLayout() {}

    /**
     * Writes the rows of runs, steps, params and layers of the tables named {@code prefix} (registered in {@code
     * spark}) as {@code <old>/<table>/<run_id>.parquet}, one file per run and table.
     */
    public static void write(SparkSession spark, String prefix, Path old, Path scratch) throws Exception {
        for (String t : List.of("runs", "steps", "params", "layers")) {
            Dataset<Row> rows = spark.table(prefix + t);
            for (Row id : rows.select("run_id").distinct().collectAsList())
                file(
                        rows.where(col("run_id").equalTo(id.getString(0))),
                        scratch,
                        old.resolve(t).resolve(id.getString(0) + ".parquet"));
        }
    }

    /** Writes {@code rows} as one Parquet file at {@code to}, as the per-run layout had it. */
    public static void file(Dataset<Row> rows, Path scratch, Path to) throws Exception {
        rows.coalesce(1).write().mode("overwrite").parquet(scratch.toString());
        Files.createDirectories(to.getParent());
        try (Stream<Path> s = Files.list(scratch)) {
            Files.move(
                    s.filter(x -> x.getFileName().toString().endsWith(".parquet"))
                            .findFirst()
                            .orElseThrow(),
                    to);
        }
    }
}
