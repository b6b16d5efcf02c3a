package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.analysis.StoredStalls;
import dev.gradsweep.config.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny transformer grid swept end to end (SweepDriver on local[2], real Iceberg tables, read back by Spark SQL):
 * every table holds the rows the configuration implies, the stored layer_stalls rows equal the view's, verdicts judges
 * every run, the runs learn reverse, and a bad transformer grid stops before anything starts.
 */
class TransformerSweepTest {
    static final int STEPS = 40, DEPTH = 2, HEADS = 2, VOCAB = 6;

    /** pre and post layer norm, with and without residual skips: 4 runs. */
    static final String GRID = String.join(
            "\n",
            "name: tsweep",
            "task: {kind: reverse, vocab: " + VOCAB + "}",
            "train: {steps: " + STEPS + ", batch: 16, optimizer: adam, lr: 0.01}",
            "axes:",
            "  arch: [transformer]",
            "  depth: [" + DEPTH + "]",
            "  width: [16]",
            "  heads: [" + HEADS + "]",
            "  seq_len: [6]",
            "  activation: [gelu]",
            "  init: [xavier]",
            "  norm: [layer]",
            "  placement: [pre, post]",
            "  skip: [residual, none]",
            "");

    @TempDir
    static Path tmp;

    /** Sweeps {@code yaml} into {@code out}, then hands the sweep's own Spark session to {@code then} (no second one). */
    static SweepDriver.Summary sweep(String yaml, Path out, BiConsumer<SweepDriver.Summary, SparkSession> then)
            throws Exception {
        Path grid = tmp.resolve(out.getFileName() + ".yaml");
        Files.writeString(grid, yaml);
        return SweepDriver.run(
                new SweepDriver.Options(grid.toString(), out.toString(), false, false, "local[2]", 0, true, false),
                new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
                then);
    }

    /**
     * Arrays per run from the architecture, not from the engine: token and position embeddings; per block two
     * layer norms (gamma, beta), Q, K, V, O, fc1 and fc2 (W, b); the final norm under pre placement; the head (W, b).
     */
    static long arrays(String placement) {
        return 2 + DEPTH * (4 + 4 + 4) + (placement.equals("pre") ? 2 : 0) + 2;
    }

    @Test
    void aTinyTransformerGridFillsEveryTableAndGetsVerdicts() throws Exception {
        Path out = tmp.resolve("tsweep");
        java.util.concurrent.atomic.AtomicBoolean checked = new java.util.concurrent.atomic.AtomicBoolean();
        sweep(GRID, out, (s, session) -> {
            checked.set(true);
            assertEquals(4, s.count("ok"), "every run trains");
            // every view, without the caches (each is read once here), registered once
            SparkSession spark = session.newSession();
            SqlViews.registerForOneQuery(spark, out.toString(), Map.of());
            // one query for every count (a query per run and table cost seconds each)
            List<Row> runs = spark.sql(String.join(
                            "\n",
                            "SELECT r.run_id, r.placement, r.engine, r.n_layers, r.loss_baseline, r.loss_first, r.loss_last,",
                            "  r.heads, r.ffn, r.positions, r.seq_len, s.n, p.n, p.q, p.lo, p.hi, l.n, l.blocks, l.bad, a.n,",
                            "  ls.n, r.skip",
                            "FROM runs r",
                            "JOIN (SELECT run_id, count(*) n FROM steps GROUP BY run_id) s USING (run_id)",
                            "JOIN (SELECT run_id, count(*) n, count_if(layer_name = 'block1.attn.q') q, min(layer) lo,",
                            "  max(layer) hi FROM params GROUP BY run_id) p USING (run_id)",
                            "JOIN (SELECT run_id, count(*) n, count_if(kind = 'block') blocks,",
                            "  count_if(NOT (act_grad_l2 > 0 AND act_grad_l2 < 1e300)) bad FROM layers GROUP BY run_id) l",
                            "  USING (run_id)",
                            "JOIN (SELECT run_id, count(*) n FROM attention GROUP BY run_id) a USING (run_id)",
                            "JOIN (SELECT run_id, count(*) n FROM layer_stalls GROUP BY run_id) ls USING (run_id)"))
                    .collectAsList();
            assertEquals(4, runs.size());
            for (Row r : runs) {
                String id = r.getString(0), placement = r.getString(1);
                assertEquals("transformer", r.getString(2), id);
                assertEquals(DEPTH + 1, r.getInt(3), "n_layers: blocks and the output layer, as block MLPs");
                assertEquals(Math.log(VOCAB), r.getDouble(4), 1e-12, "reverse's baseline: uniform targets, ln vocab");
                assertEquals(List.of(HEADS, 4, "learned", 6), List.of(r.get(7), r.get(8), r.get(9), r.get(10)));
                assertEquals(STEPS, r.getLong(11), "steps rows");
                assertEquals(STEPS * arrays(placement), r.getLong(12), "a params row per array and step");
                assertEquals(STEPS, r.getLong(13), "block1.attn.q rows");
                assertEquals(List.of(-1, DEPTH), List.of(r.get(14), r.get(15)), "params from the stem to the output");
                assertEquals(STEPS * (1 + 2 * DEPTH), r.getLong(16), "a layers row per tap and step");
                assertEquals(STEPS * DEPTH, r.getLong(17), "a block output per block and step");
                assertEquals(0, r.getLong(18), "δ reached every tap at every step: finite and positive");
                assertEquals(STEPS * DEPTH * HEADS, r.getLong(19), "an attention row per block, head and step");
                assertEquals(DEPTH + 1, r.getLong(20), "layer_stalls: the blocks and the output layer");
                // Measured (seed 1): the residual nets end at 0.33 (pre) and 0.09 (post) nats, means of the last 4
                // steps, from ~1.95 at the start, against the baseline ln 6 = 1.79; the nets without skips at 1.60 and
                // 1.54, too close to it for an assertion. Half the baseline leaves the residual nets a margin of 2.7x
                // (pre) and 10x (post).
                if (r.getString(21).equals("residual"))
                    assertTrue(r.getDouble(6) < Math.log(VOCAB) / 2, id + " learns reverse: loss_last " + r.get(6));
            }
            List<Row> verdicts =
                    spark.sql("SELECT run_id, verdict FROM verdicts").collectAsList();
            assertEquals(4, verdicts.size());
            for (Row v : verdicts) assertNotNull(v.getString(1), "a verdict for " + v.getString(0));
            assertEquals(4 * (DEPTH + 1), StoredStalls.assertMatchComputed(session, spark, out.toString()));
        });
        assertTrue(checked.get(), "the checks ran in the sweep's session");
    }

    /** modadd's held-out loss reaches the Iceberg steps table at the steps eval_every names, null at the others. */
    @Test
    void modaddRecordsItsHeldOutLossInTheStepsTable() throws Exception {
        String yaml = GRID.replace("{kind: reverse, vocab: " + VOCAB + "}", "{kind: modadd, p: 7, eval_every: 2}")
                .replace("steps: " + STEPS, "steps: 6")
                .replace("  seq_len: [6]\n", "")
                .replace("[pre, post]", "[pre]")
                .replace("[residual, none]", "[residual]");
        Path out = tmp.resolve("modadd");
        java.util.concurrent.atomic.AtomicReference<List<Row>> rows =
                new java.util.concurrent.atomic.AtomicReference<>();
        sweep(yaml, out, (s, session) -> {
            SparkSession spark = session.newSession();
            SqlViews.registerForOneQuery(spark, out.toString(), Map.of());
            rows.set(spark.sql("SELECT step, heldout_loss FROM steps ORDER BY step")
                    .collectAsList());
        });
        List<Integer> evaluated = new java.util.ArrayList<>();
        for (Row r : rows.get()) {
            if (r.isNullAt(1)) continue;
            evaluated.add(r.getInt(0));
            assertTrue(r.getDouble(1) > 0 && r.getDouble(1) < 10, "a cross-entropy over 7 answers: " + r);
        }
        assertEquals(6, rows.get().size());
        assertEquals(List.of(0, 2, 4, 5), evaluated, "multiples of eval_every, and the last step");
    }

    @Test
    void aBadTransformerGridStopsBeforeAnythingStarts() {
        String[][] cases = { // {width, heads and more, the key the message names}
            {"18", "4", "axes.heads"}, // 4 heads do not divide 18
            {"15", "3]\n  positions: [sinusoidal", "axes.positions"} // sin/cos pairs need an even width
        };
        for (String[] c : cases) {
            Path out = tmp.resolve("bad-" + c[2]);
            String yaml = GRID.replace("width: [16]", "width: [" + c[0] + "]")
                    .replace("heads: [" + HEADS + "]", "heads: [" + c[1] + "]");
            BadInputException e = assertThrows(BadInputException.class, () -> sweep(yaml, out, null));
            assertTrue(e.getMessage().contains(c[2] + ":"), e.getMessage());
            assertFalse(Files.exists(out), "nothing was written");
        }
    }

    static long count(SparkSession spark, String q) {
        return spark.sql(q).collectAsList().get(0).getLong(0);
    }
}
