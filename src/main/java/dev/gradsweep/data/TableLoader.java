package dev.gradsweep.data;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.TaskSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;

/**
 * The {@code table} task: a Parquet or CSV file read by Spark on the driver, checked column by column, and turned
 * into {@link TaskData} that is shipped to the tasks. With task.shape the feature columns, in the file's order or the
 * order task.features lists, are the [C, H, W] of an image row-major, exactly as the image tasks lay out their rows.
 */
public final class TableLoader {
    private TableLoader() {}

    public static TaskData load(SparkSession spark, TaskSpec spec, String gridFile) {
        String where = "grid file " + gridFile + ": task.path: ";
        Dataset<Row> df;
        try {
            df = spec.path.toLowerCase().endsWith(".csv")
                    ? spark.read()
                            .option("header", "true")
                            .option("inferSchema", "true")
                            .csv(spec.path)
                    : spark.read().parquet(spec.path);
        } catch (Exception e) {
            throw new BadInputException(where + "cannot read '" + spec.path + "' as "
                    + (spec.path.endsWith(".csv") ? "CSV" : "Parquet") + ": " + e.getMessage());
        }
        List<String> all = Arrays.asList(df.columns());
        if (!all.contains(spec.label))
            throw new BadInputException("grid file " + gridFile + ": task.label: no column '" + spec.label + "' in "
                    + spec.path + "; columns: " + all);
        List<String> features = new ArrayList<>(spec.features);
        if (features.isEmpty()) for (String c : all) if (!c.equals(spec.label)) features.add(c);
        if (features.isEmpty())
            throw new BadInputException(
                    "grid file " + gridFile + ": task.features: " + spec.path + " has no column besides the label");
        int[] shape = spec.imageShape();
        if (shape != null && TaskSpec.values(shape) != features.size())
            throw new BadInputException("grid file " + gridFile + ": task.shape: " + TaskSpec.shapeText(shape) + " = "
                    + TaskSpec.values(shape) + " values per image, but " + spec.path + " has "
                    + features.size() + " feature columns" + (spec.features.isEmpty() ? " besides the label" : ""));
        List<String> used = new ArrayList<>(features);
        used.add(spec.label);
        for (String c : used) {
            if (!all.contains(c))
                throw new BadInputException("grid file " + gridFile + ": task.features: no column '" + c + "' in "
                        + spec.path + "; columns: " + all);
            StructField f = df.schema().apply(c);
            if (!(f.dataType() instanceof NumericType))
                throw new BadInputException("grid file " + gridFile + ": task."
                        + (c.equals(spec.label) ? "label" : "features") + ": column '" + c + "' in " + spec.path
                        + " is " + f.dataType().simpleString() + ", not numeric");
        }
        Dataset<Row> sel = df.selectExpr(
                used.stream().map(c -> "CAST(`" + c + "` AS DOUBLE)").toArray(String[]::new));
        if (spec.samples > 0) sel = sel.limit(spec.samples);
        List<Row> rows = sel.collectAsList();
        if (rows.isEmpty()) throw new BadInputException(where + spec.path + " has no rows");
        int n = rows.size(), k = features.size();
        double[] x = new double[n * k];
        double[] label = new double[n];
        for (int r = 0; r < n; r++) {
            Row row = rows.get(r);
            for (int c = 0; c <= k; c++) {
                if (row.isNullAt(c))
                    throw new BadInputException(
                            where + "row " + r + " of " + spec.path + " has no value in column '" + used.get(c) + "'");
                double v = row.getDouble(c);
                if (!Double.isFinite(v))
                    throw new BadInputException(where + "row " + r + " of " + spec.path
                            + " has a non-finite value in column '" + used.get(c) + "'");
                if (c < k) x[r * k + c] = v;
                else label[r] = v;
            }
        }
        if (spec.objective == TaskSpec.Objective.REGRESSION) return new TaskData(n, k, 1, spec.objective, x, label);
        int classes = 0;
        for (int r = 0; r < n; r++) {
            double v = label[r];
            if (v != Math.rint(v) || v < 0 || v > 10_000)
                throw new BadInputException(
                        "grid file " + gridFile + ": task.label: classification labels must be integers 0..K-1; row "
                                + r + " of " + spec.path + " has " + v);
            classes = Math.max(classes, (int) v + 1);
        }
        classes = Math.max(classes, 2);
        double[] y = new double[n * classes];
        for (int r = 0; r < n; r++) y[r * classes + (int) label[r]] = 1;
        return new TaskData(n, k, classes, spec.objective, x, y);
    }
}
