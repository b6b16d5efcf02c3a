package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.data.TableLoader;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.store.TaskFiles;
import dev.gradsweep.train.RunOutcome;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conv grid's inputs through real Spark: a table with task.shape (CSV and Parquet) and the MNIST recipe of
 * docs/grid.md run on an IDX file written here; the runs table's stages and groups columns are written and read back
 * in AttentionTableTest's output ({@link #writeConvRuns}).
 */
class ConvInputsTest {
    static SparkSession spark;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = SweepLocalTest.spark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static TaskSpec table(Path file, List<String> features, int... shape) {
        return TaskSpec.table(0, TaskSpec.Objective.CLASSIFICATION, file.toString(), "label", features, shape);
    }

    /** An IDX file of unsigned bytes: magic 0 0 8 ndim, big-endian dimensions, the bytes. */
    static byte[] idx(byte[] data, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put(new byte[] {0, 0, 8, (byte) dims.length});
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    @Test
    void theMnistRecipeOfTheDocsGivesRowMajorImagesInZeroToOne() throws Exception {
        String doc = Files.readString(
                Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "docs/grid.md"));
        int from = doc.indexOf("```python\n# idx2csv.py");
        assertTrue(from > 0, "docs/grid.md has the idx2csv.py recipe");
        from = doc.indexOf('\n', from) + 1;
        Path script = Files.writeString(tmp.resolve("idx2csv.py"), doc.substring(from, doc.indexOf("```", from)));
        // 3 images of 4 x 5, pixel (i, y, x) = (37·(20·i + 5·y + x) + 11) mod 256; images gzipped, labels not
        int h = 4, w = 5;
        byte[] pixels = new byte[3 * h * w];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) ((37 * i + 11) % 256);
        Path images = tmp.resolve("images-idx3-ubyte.gz"), labels = tmp.resolve("labels-idx1-ubyte");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(images))) {
            o.write(idx(pixels, 3, h, w));
        }
        Files.write(labels, idx(new byte[] {7, 0, 9}, 3));
        Path csv = tmp.resolve("mnist.csv");
        try {
            ProcessBuilder pb = new ProcessBuilder(
                            "python3", script.toString(), images.toString(), labels.toString(), csv.toString(), "2")
                    .redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
        } catch (java.io.IOException e) {
            assumeTrue(false, "no python3 here: " + e.getMessage());
        }
        TaskData d = TableLoader.load(spark, table(csv, List.of(), 1, h, w), "g.yaml");
        assertEquals(2, d.n, "the first 2 images (the script's last argument)");
        assertEquals(h * w, d.inputs);
        assertEquals(8, d.outputs, "labels 7 and 0: classes 0 … 7");
        for (int i = 0; i < 2; i++) {
            assertEquals(1, d.y[i * 8 + (i == 0 ? 7 : 0)]);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double want = ((37 * (i * h * w + y * w + x) + 11) % 256) / 255.0;
                    // %g keeps 6 significant digits
                    assertEquals(want, d.x[i * h * w + y * w + x], 5e-6 * want + 1e-12, i + "," + y + "," + x);
                }
        }
    }

    /** A CSV without python: its feature columns in the file's order (the label among them) fill [1, 2, 2]. */
    @Test
    void csvColumnsFillTheShapeInTheFilesOrder() throws Exception {
        Path csv = Files.writeString(tmp.resolve("t.csv"), "b,label,a,d,c\n1,0,2,3,4\n5,1,6,7,8.5\n");
        TaskData d = TableLoader.load(spark, table(csv, List.of(), 1, 2, 2), "g.yaml");
        assertEquals(
                List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5),
                java.util.Arrays.stream(d.x).boxed().toList());
        assertEquals(
                List.of(1.0, 0.0, 0.0, 1.0),
                java.util.Arrays.stream(d.y).boxed().toList());
    }

    @Test
    void parquetFeaturesFillTheShapeInTheOrderListedAndAWrongShapeIsAnError() {
        int n = 5;
        List<StructField> fields = new ArrayList<>();
        for (int c = 0; c < 6; c++) fields.add(DataTypes.createStructField("c" + c, DataTypes.DoubleType, false));
        fields.add(DataTypes.createStructField("label", DataTypes.IntegerType, false));
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            Object[] v = new Object[7];
            for (int c = 0; c < 6; c++) v[c] = 10.0 * r + c; // row r, column c holds 10r + c
            v[6] = r % 3;
            rows.add(RowFactory.create(v));
        }
        Path parquet = tmp.resolve("t.parquet");
        spark.createDataFrame(rows, new StructType(fields.toArray(StructField[]::new)))
                .coalesce(1)
                .write()
                .parquet(parquet.toString());
        List<String> reversed = List.of("c5", "c4", "c3", "c2", "c1", "c0");
        TaskData d = TableLoader.load(spark, table(parquet, reversed, 2, 1, 3), "g.yaml");
        assertEquals(6, d.inputs);
        assertEquals(3, d.outputs);
        List<Double> got = new ArrayList<>(), want = new ArrayList<>();
        for (int r = 0; r < d.n; r++)
            for (int k = 0; k < 6; k++) {
                got.add(d.x[r * 6 + k]);
                // a Parquet folder's row order is Spark's; the label (r mod 3) and c0 (10r) name the row
                want.add(d.x[r * 6 + 5] + 5 - k);
            }
        for (int r = 0; r < d.n; r++) assertEquals(1, d.y[r * 3 + (int) (d.x[r * 6 + 5] / 10) % 3], "row " + r);
        assertEquals(want, got, "position k of the image is column c(5 − k)");
        BadInputException e = assertThrows(
                BadInputException.class, () -> TableLoader.load(spark, table(parquet, List.of(), 1, 2, 2), "g.yaml"));
        assertEquals(
                "grid file g.yaml: task.shape: 1x2x2 = 4 values per image, but " + parquet
                        + " has 6 feature columns besides the label",
                e.getMessage());
        BadInputException listed = assertThrows(
                BadInputException.class,
                () -> TableLoader.load(spark, table(parquet, List.of("c0", "c1", "c2"), 1, 2, 2), "g.yaml"));
        assertTrue(listed.getMessage().endsWith("= 4 values per image, but " + parquet + " has 3 feature columns"));
    }

    /**
     * Runs rows of conv runs (norm group, batch, none) and MLP runs into {@code files}; {@link #assertConvColumns}
     * reads them back. AttentionTableTest writes them into its output, so they cost no output of their own.
     */
    static void writeConvRuns(TaskFiles files) throws java.io.IOException {
        String grid = String.join(
                "\n",
                "name: c",
                "task: {kind: bars, size: 8, samples: 16}",
                "train: {steps: 2, batch: 4, stages: 2, groups: 2}",
                "axes: {arch: [conv, mlp], depth: [2], width: [4], activation: [relu], init: [he],"
                        + " norm: [group, batch, none]}",
                "exclude: [{arch: mlp, norm: group}]",
                "");
        List<RunConfig> runs = GridSpec.parse(grid, "g.yaml").expand();
        assertEquals(5, runs.size());
        for (RunConfig rc : runs)
            new RunWriter(files, rc)
                    .commit(
                            new RunOutcome(),
                            new RunWriter.Placement("cpu", "cpu", "h", 1, "test"),
                            dev.gradsweep.store.Machine.PROVENANCE,
                            0,
                            1);
    }

    /** stages for conv runs, groups for conv runs with group norm, null elsewhere. */
    static void assertConvColumns(SparkSession spark) {
        List<String> got = spark
                .sql("SELECT arch, norm, stages, groups FROM runs WHERE sweep = 'c' ORDER BY arch, norm")
                .collectAsList()
                .stream()
                .map(r -> r.mkString(" "))
                .toList();
        assertEquals(
                List.of(
                        "conv batch 2 null",
                        "conv group 2 2",
                        "conv none 2 null",
                        "mlp batch null null",
                        "mlp none null null"),
                got);
    }
}
