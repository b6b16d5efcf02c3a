package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The table task: a CSV read by Spark on the driver, validated column by column, shipped to the tasks. */
class TableTaskTest {
    static String grid(Path csv, String extra) {
        return String.join(
                "\n",
                "name: tab",
                "task: {kind: table, path: '" + csv + "', label: y, objective: classification" + extra + "}",
                "train: {steps: 4, batch: 8}",
                "axes: {depth: [2], width: [4], activation: [relu], init: [he]}",
                "");
    }

    static SweepDriver.Summary sweep(Path tmp, String yaml) throws Exception {
        Path g = tmp.resolve("g" + System.nanoTime() + ".yaml");
        Files.writeString(g, yaml);
        return SweepDriver.run(
                new SweepDriver.Options(
                        g.toString(), tmp.resolve("out" + System.nanoTime()).toString(), false, false, "local[1]", 0),
                new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void csvTableTrainsAndBadColumnsAreNamed(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("d.csv");
        StringBuilder sb = new StringBuilder("a,b,name,y\n");
        Random r = new Random(1);
        for (int i = 0; i < 40; i++) {
            double a = r.nextGaussian(), b = r.nextGaussian();
            sb.append(a)
                    .append(',')
                    .append(b)
                    .append(",n")
                    .append(i)
                    .append(',')
                    .append(a + b > 0 ? 1 : 0)
                    .append('\n');
        }
        Files.writeString(csv, sb.toString());
        SweepDriver.Summary ok = sweep(tmp, grid(csv, ", features: [a, b]"));
        assertEquals(1, ok.count("ok"));

        BadInputException nonNumeric = assertThrows(BadInputException.class, () -> sweep(tmp, grid(csv, "")));
        assertTrue(
                nonNumeric.getMessage().contains("column 'name'")
                        && nonNumeric.getMessage().contains("not numeric"),
                nonNumeric.getMessage());
        BadInputException missing =
                assertThrows(BadInputException.class, () -> sweep(tmp, grid(csv, ", features: [a, c]")));
        assertTrue(missing.getMessage().contains("task.features: no column 'c'"), missing.getMessage());
        BadInputException noFile =
                assertThrows(BadInputException.class, () -> sweep(tmp, grid(tmp.resolve("none.csv"), "")));
        assertTrue(
                noFile.getMessage().contains("task.path") && noFile.getMessage().contains("does not exist"),
                noFile.getMessage());
        assertFalse(Files.exists(tmp.resolve("none.csv")));
    }
}
