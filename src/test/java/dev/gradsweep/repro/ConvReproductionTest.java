package dev.gradsweep.repro;

import static dev.gradsweep.repro.TransformerReproductionTest.assertAbove;
import static dev.gradsweep.repro.TransformerReproductionTest.bySeed;
import static dev.gradsweep.repro.TransformerReproductionTest.fmt;
import static dev.gradsweep.repro.TransformerReproductionTest.mean;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.sweep.FixtureSweeps;
import dev.gradsweep.sweep.Sessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published conv-net effects of issue #29 (item 4) at the smallest sizes where they show: small versions of
 * conf/grids/resnet2016_conv.yaml and fixup_conv.yaml swept end to end (SweepDriver on local[2], real Iceberg tables,
 * one Spark session) and read back with Spark SQL, as a user would. "a above b" is TransformerReproductionTest's:
 * mean(a) − mean(b) > 3 standard errors of the difference over the seeds. He et al.'s Fig. 7 (response std smaller
 * in the ResNet) is asserted on pre-activated nets, where a response is a conv's raw output. Measured numbers:
 * docs/reference-results.md (Convolutional nets).
 */
class ConvReproductionTest {
    /** Images of teacher_cnn (10 classes), 8 × 8, two stages, relu, he: the full-size grids' net, smaller. */
    static final String NET = String.join(
            "\n",
            "task: {kind: teacher_cnn, size: 8, channels: 1, samples: 512}",
            "seeds: [1, 2, 3]",
            "axes:",
            "  arch: [conv]",
            "  width: [8]",
            "  activation: [relu]",
            "  init: [he]",
            "");

    /**
     * He et al. 2016: plain nets of 4 and 16 conv layers, and the ResNet of 8 basic blocks (16 conv layers), as the
     * original ResNet (post placement); the deep two also pre-activated, for the response std (Fig. 7).
     */
    static final String DEGRADATION = String.join(
            "\n",
            "name: cref_deg",
            "train: {steps: 100, batch: 32, optimizer: momentum, lr: 0.05, dtype: float32, stages: 2}",
            NET + "  depth: [4, 8, 16]",
            "  norm: [batch]",
            "  skip: [none, residual]",
            "  placement: [post, pre]",
            "exclude:",
            "  - {depth: 4, placement: pre}",
            "  - {skip: none, depth: 8}",
            "  - {skip: residual, depth: 4}",
            "  - {skip: residual, depth: 16}",
            "");

    /** Zhang et al. 2019, Bachlechner et al. 2020: fixup_conv.yaml at lr 0.003, 16 residual blocks without a norm. */
    static final String FIXUP = String.join(
            "\n",
            "name: cref_fixup",
            "train: {steps: 150, batch: 32, optimizer: adam, lr: 0.003, dtype: float32, stages: 2}",
            NET + "  depth: [16]",
            "  placement: [post]",
            "  norm: [none]",
            "  skip: [residual, fixup, rezero]",
            "");

    @TempDir
    static Path tmp;

    /** The session, and one per sweep with its table views. */
    static SparkSession spark, degradation, fixup;

    @BeforeAll
    static void sweeps() throws Exception {
        spark = Sessions.forQueries("local[2]", "ConvReproductionTest");
        degradation = sweep(DEGRADATION);
        fixup = sweep(FIXUP);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Sweeps the grid (no compaction) and registers its table views in a session of its own. */
    static SparkSession sweep(String yaml) throws Exception {
        String name = yaml.substring("name: ".length(), yaml.indexOf('\n'));
        Path grid = tmp.resolve(name + ".yaml"), out = tmp.resolve(name);
        Files.writeString(grid, yaml);
        FixtureSweeps.uncompacted(grid.toString(), out.toString());
        SparkSession views = spark.newSession();
        SqlViews.registerTableViews(views, out.toString());
        // a diverged run is an outcome (the unnormalised residual net's); a failed one is a bug
        assertEquals(
                0L,
                views.sql("SELECT count(*) FROM runs WHERE status = 'failed'")
                        .first()
                        .getLong(0),
                name);
        return views;
    }

    /** Per configuration (skip depth) and seed: the mean training loss of the last 10 steps, post placement. */
    static Map<String, double[]> tailLoss(SparkSession views) {
        return bySeed(
                views,
                "SELECT concat_ws(' ', r.skip, r.depth), r.seed, avg(s.loss) FROM steps s JOIN runs r USING (run_id)"
                        + " WHERE s.step >= r.steps - 10 AND r.placement = 'post' GROUP BY r.skip, r.depth, r.seed");
    }

    /**
     * Per skip and seed, of the pre-activated nets of 16 conv layers: the mean over the units' response rows (layers
     * 0 … depth − 1, stem excluded) of response_std, at step 0 or over the last 10 steps.
     */
    static Map<String, double[]> responseStd(boolean last) {
        return bySeed(
                degradation,
                "SELECT r.skip, r.seed, avg(l.response_std) FROM layers l JOIN runs r USING (run_id)"
                        + " WHERE r.placement = 'pre' AND l.layer BETWEEN 0 AND r.depth - 1 AND "
                        + (last ? "l.step >= r.steps - 10" : "l.step = 0") + " GROUP BY r.skip, r.seed");
    }

    /**
     * He et al. 2016, the degradation problem: at equal steps the plain net of 16 conv layers ends at a higher training
     * loss than the one of 4, and the ResNet of 16 conv layers (8 basic blocks) far below the deep plain net, nearer
     * the shallow one than the deep one.
     */
    @Test
    void he2016DeeperPlainNetTrainsWorseAndTheResNetOfItsDepthDoesNot() {
        Map<String, double[]> loss = tailLoss(degradation);
        double[] shallow = loss.get("none 4"), deep = loss.get("none 16"), res = loss.get("residual 8");
        assertAbove(deep, shallow, "tail loss: plain 16 above plain 4");
        assertAbove(deep, res, "tail loss: plain 16 above the ResNet of 16 conv layers");
        double toShallow = mean(res) - mean(shallow), toDeep = mean(deep) - mean(res);
        assertTrue(
                toShallow < toDeep,
                "the ResNet ends nearer the shallow net than the deep one: " + fmt(res) + " vs " + fmt(shallow) + ", "
                        + fmt(deep));
    }

    /**
     * He et al. 2016, Fig. 7: the ResNet's layer responses are smaller than the plain net's of equal depth (16 conv
     * layers). Asserted under pre placement, where a response (`layers.response_std`) is a 3 × 3 conv's raw output in
     * both nets (a plain unit's conv; a block's second conv, the branch as it is added): at step 0 the two are within
     * 5 % of each other (He init on batch-normed inputs), after 100 steps the plain net's are above the ResNet's by 3
     * standard errors and the ResNet's mean is below 0.9 of the plain net's (measured 1.07 against 1.35: 0.79). The
     * plain net's kernels are scale-invariant (the next norm removes their scale), so SGD grows them; the residual
     * branch's scale is what the block adds. Fig. 7's own quantity, the original ResNet's response after its batch
     * norm, does not show at this size (docs/reference-results.md#resnet2016_conv).
     */
    @Test
    void he2016ResNetResponsesAreSmallerThanThePlainNetsOfEqualDepth() {
        Map<String, double[]> first = responseStd(false), last = responseStd(true);
        double ratio0 = mean(first.get("residual")) / mean(first.get("none"));
        assertTrue(
                Math.abs(ratio0 - 1) < 0.05,
                "step 0: ResNet " + fmt(first.get("residual")) + " vs plain " + fmt(first.get("none")));
        assertAbove(last.get("none"), last.get("residual"), "response std after 100 steps: plain above ResNet");
        double ratio = mean(last.get("residual")) / mean(last.get("none"));
        assertTrue(
                ratio < 0.9,
                "ResNet / plain response std " + ratio + ": " + fmt(last.get("residual")) + " vs "
                        + fmt(last.get("none")));
    }

    /**
     * Zhang et al. 2019 (Fixup), Bachlechner et al. 2020 (ReZero): 16 residual blocks without normalization, plain
     * (he init) against ReZero's α = 0 and Fixup's initialisation. The plain blocks double the forward signal's variance
     * per block: their step-0 logits (the head's output, layer depth) have a std of tens, ReZero's (every block the
     * identity) of order 1. All of them train to the end (a stable log-softmax keeps the plain net's loss finite), but
     * the plain net only climbs back from its exploded start to about the baseline, while ReZero learns: its gap closed
     * is above the plain net's by 3 standard errors. Fixup's gap closed scatters too widely over seeds (measured 0.20,
     * 0.20, 0.01 against the plain net's 0.02, 0.03, 0.01) for that margin, so it is not asserted
     * (docs/reference-results.md#fixup_conv).
     */
    @Test
    void rezeroTrainsAnUnnormalisedResNetThatPlainResidualBlocksDoNot() {
        Map<String, double[]> logits = bySeed(
                fixup,
                "SELECT r.skip, r.seed, l.act_std FROM layers l JOIN runs r USING (run_id)"
                        + " WHERE l.step = 0 AND l.layer = r.depth");
        assertAbove(logits.get("residual"), logits.get("rezero"), "step-0 logit std: plain residual above ReZero");
        assertTrue(mean(logits.get("residual")) > 10, "plain residual logits explode: " + fmt(logits.get("residual")));
        for (Row r : fixup.sql("SELECT skip, seed, status FROM runs").collectAsList())
            assertEquals("ok", r.getString(2), "every run trains to the end: " + r);
        Map<String, double[]> gap = bySeed(fixup, "SELECT skip, seed, gap_closed FROM runs");
        assertAbove(gap.get("rezero"), gap.get("residual"), "gap closed: ReZero above plain residual blocks");
    }
}
