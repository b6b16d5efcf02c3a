package dev.gradsweep.repro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.analysis.SqlViews;
import dev.gradsweep.sweep.Sessions;
import dev.gradsweep.sweep.SweepDriver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published transformer effects of issue #28 (item 5) at the smallest sizes where they show: small versions of
 * conf/grids/{xiong2020,noci2022,rezero,deepnorm}_transformer.yaml swept end to end (SweepDriver on local[2], real
 * Iceberg tables, one Spark session for all) and read back with Spark SQL from the tables, as a user would.
 * <p>
 * Margins come from the seeds: "a above b" means mean(a) − mean(b) > 3 standard errors of that difference (Welch's,
 * from the seeds' own spread), so a test fails when the effect is not clearly larger than seed noise. The measured
 * numbers are in docs/reference-results.md (Transformers).
 */
class TransformerReproductionTest {
    /** Reverse over 10 tokens, T 8, width 32, 4 heads, gelu, xavier: the full-size grids' net at fewer depths. */
    static final String NET = String.join(
            "\n",
            "task: {kind: reverse, vocab: 10}",
            "seeds: [1, 2, 3]",
            "axes:",
            "  arch: [transformer]",
            "  width: [32]",
            "  heads: [4]",
            "  seq_len: [8]",
            "  activation: [gelu]",
            "  init: [xavier]",
            "");

    /** Leaves out the combinations that mean nothing: DeepNorm is post-LN, ReZero has no norm, residual has one. */
    static final String VALID = String.join(
            "\n",
            "exclude:",
            "  - {skip: deepnorm, placement: pre}",
            "  - {skip: deepnorm, norm: none}",
            "  - {skip: rezero, norm: layer}",
            "  - {skip: residual, norm: none}");

    /** Step 0 only (one step, float64): pre-LN, post-LN and DeepNorm at depth 4 and 16, ReZero at 16. */
    static final String INIT = String.join(
            "\n",
            "name: tref_init",
            "train: {steps: 1, batch: 16, optimizer: adam, lr: 0.001, dtype: float64}",
            NET + "  depth: [4, 16]",
            "  norm: [layer, none]",
            "  placement: [pre, post]",
            "  skip: [residual, deepnorm, rezero]",
            VALID,
            "  - {skip: rezero, depth: 4}",
            "");

    /** The training effects' net: reverse over 8 tokens, T 6, width 16, 2 heads, Adam at 0.01, 150 steps. */
    static final String SMALL = String.join(
            "\n",
            "task: {kind: reverse, vocab: 8}",
            "seeds: [1, 2, 3]",
            "axes:",
            "  arch: [transformer]",
            "  width: [16]",
            "  heads: [2]",
            "  seq_len: [6]",
            "  activation: [gelu]",
            "  init: [xavier]",
            "  norm: [layer, none]",
            "  placement: [pre, post]",
            "");

    /** Without warmup: post-LN and ReZero at depth 4; pre-LN, post-LN and DeepNorm at depth 8. */
    static final String TRAIN = String.join(
            "\n",
            "name: tref_train",
            "train: {steps: 150, batch: 16, optimizer: adam, lr: 0.01, dtype: float32}",
            SMALL + "  depth: [4, 8]",
            "  skip: [residual, deepnorm, rezero]",
            VALID,
            "  - {depth: 4, skip: deepnorm}",
            "  - {depth: 4, placement: pre, norm: layer}",
            "  - {depth: 8, skip: rezero}",
            "");

    @TempDir
    static Path tmp;

    static SparkSession spark;
    static final Map<String, SparkSession> outputs = new HashMap<>();

    @BeforeAll
    static void sweep() throws Exception {
        spark = Sessions.forQueries("local[2]", "TransformerReproductionTest");
        sweep(INIT);
        sweep(TRAIN);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Per configuration (placement, skip, depth) and seed: the blocks' weight-gradient norms at step 0. */
    static final String BLOCK_GRADS = String.join(
            "\n",
            "WITH g AS (SELECT p.run_id, p.layer, sqrt(sum(p.grad_l2 * p.grad_l2)) AS g",
            "  FROM params p JOIN runs r USING (run_id)", // Q, K, V, O, fc1, fc2 of each block
            "  WHERE p.step = 0 AND p.param = 'W' AND p.layer BETWEEN 0 AND r.depth - 1 GROUP BY p.run_id, p.layer)",
            "SELECT concat_ws(' ', r.placement, r.skip, r.depth), r.seed, %s",
            "FROM g JOIN runs r USING (run_id) GROUP BY r.placement, r.skip, r.depth, r.seed");

    /**
     * Xiong et al. 2020, at initialization: the norm of a block's weight gradient falls toward the output under pre-LN
     * (the stream the block's norm divides grows with the block index) and does not under post-LN, so the slope of
     * log2 of it over the block index is higher under post-LN. At depth 16; at depth 4 and 8 the post-LN slopes
     * scatter too widely over seeds (−0.09 … +0.10 at depth 4) for 3 standard errors.
     */
    @Test
    void xiong2020AtInitPostLnBlockGradientsDoNotFallTowardTheOutputPreLnDo() {
        Map<String, double[]> s = bySeed("tref_init", BLOCK_GRADS.formatted("regr_slope(log2(g.g), g.layer)"));
        double[] pre = s.get("pre residual 16"), post = s.get("post residual 16");
        assertAbove(post, pre, "slope of log2 ‖∇W‖ over the 16 blocks, post-LN above pre-LN");
        assertAbove(new double[pre.length], pre, "pre-LN's block gradients fall toward the output");
    }

    /**
     * Xiong et al. 2020: pre-LN's last block gets a gradient ∝ 1/√L (its input stream grows as √L and its norm divides
     * by it), so its log-log slope from depth 4 to 16 is −1/2; post-LN's last block sits behind a norm of its own
     * and its δ does not shrink.
     */
    @Test
    void xiong2020PreLnLastBlockGradientShrinksAsOneOverSqrtDepth() {
        Map<String, double[]> w =
                bySeed("tref_init", BLOCK_GRADS.formatted("max(CASE WHEN g.layer = r.depth - 1 THEN g.g END)"));
        double[] pre = logLog(w.get("pre residual 4"), w.get("pre residual 16"));
        assertEquals(-0.5, mean(pre), 0.1, "pre-LN last block's ‖∇W‖, log-log slope over depth 4 → 16: " + fmt(pre));
        Map<String, double[]> d = bySeed(
                "tref_init",
                "SELECT concat_ws(' ', r.placement, r.skip, r.depth), r.seed, l.act_grad_l2 FROM layers l"
                        + " JOIN runs r USING (run_id) WHERE l.step = 0 AND l.kind = 'block' AND l.layer = r.depth - 1");
        double[] preDelta = logLog(d.get("pre residual 4"), d.get("pre residual 16"));
        double[] postDelta = logLog(d.get("post residual 4"), d.get("post residual 16"));
        assertEquals(-0.5, mean(preDelta), 0.1, "pre-LN last block's δ: " + fmt(preDelta));
        assertAbove(postDelta, preDelta, "post-LN's last-block δ shrinks less with depth than pre-LN's");
    }

    /** Per seed: the slope of ln y over ln depth from depth 4 to 16. */
    static double[] logLog(double[] at4, double[] at16) {
        double[] s = new double[at4.length];
        for (int i = 0; i < s.length; i++) s[i] = Math.log(at16[i] / at4[i]) / Math.log(4);
        return s;
    }

    /**
     * Noci et al. 2022, at initialization: without residual scaling the tokens leaving the last block align as the
     * net gets deeper (their Figure 1: post-LN), and completely without skips; the Q/K weight gradients of the last
     * block, whose softmax sees nearly identical tokens, shrink relative to V's. Scaled branches keep the tokens
     * apart: ReZero's blocks are the identity at init (the last block outputs the embedding), and
     * DeepNorm's β = (8N)^−¼ keeps the alignment flat; its Q/K-to-V ratio falls only by β's own factor,
     * (16/4)^−¼ = 10^−0.15, against several decades under post-LN.
     */
    @Test
    void noci2022TokensAlignWithDepthAndQkGradientsVanishUnlessBranchesAreScaled() {
        Map<String, double[]> cos = bySeed(
                "tref_init",
                "SELECT concat_ws(' ', r.norm, r.placement, r.skip, r.depth), r.seed, a.token_cos_mean FROM attention a"
                        + " JOIN runs r USING (run_id) WHERE a.step = 0 AND a.head = 0 AND a.layer = r.depth - 1");
        double[] post4 = cos.get("layer post residual 4"), post16 = cos.get("layer post residual 16");
        assertAbove(post16, post4, "post-LN: last block's token cosine, depth 16 above depth 4");
        assertAbove(cos.get("layer pre residual 16"), cos.get("layer pre residual 4"), "pre-LN: the same");
        double[] dn4 = cos.get("layer post deepnorm 4"), dn16 = cos.get("layer post deepnorm 16");
        assertAbove(minus(post16, post4), minus(dn16, dn4), "post-LN's cosine grows with depth more than DeepNorm's");
        assertAbove(post16, dn16, "at depth 16 post-LN's tokens are more aligned than DeepNorm's");
        assertAbove(
                post16, cos.get("none n/a rezero 16"), "at depth 16 post-LN's tokens are more aligned than ReZero's");

        Map<String, double[]> qkv = bySeed(
                "tref_init",
                String.join(
                        "\n",
                        "SELECT concat_ws(' ', r.norm, r.placement, r.skip, r.depth), r.seed,",
                        "  log10(sqrt(sum(CASE WHEN p.layer_name LIKE '%.attn.q' OR p.layer_name LIKE '%.attn.k'",
                        "    THEN p.grad_l2 * p.grad_l2 END) / 2)",
                        "  / sqrt(sum(CASE WHEN p.layer_name LIKE '%.attn.v' THEN p.grad_l2 * p.grad_l2 END)))",
                        "FROM params p JOIN runs r USING (run_id) WHERE p.step = 0 AND p.layer = r.depth - 1",
                        "  AND r.skip <> 'rezero'", // α = 0: every block array's gradient is exactly 0 at init
                        "GROUP BY r.norm, r.placement, r.skip, r.depth, r.seed"));
        double[] postFall = minus(qkv.get("layer post residual 4"), qkv.get("layer post residual 16"));
        double[] dnFall = minus(qkv.get("layer post deepnorm 4"), qkv.get("layer post deepnorm 16"));
        assertAbove(postFall, new double[postFall.length], "post-LN: log10 Q/K-to-V gradient falls from depth 4 to 16");
        assertAbove(postFall, dnFall, "post-LN's Q/K-to-V fall exceeds DeepNorm's");
        assertEquals(
                0.25 * Math.log10(4),
                mean(dnFall),
                3 * Math.sqrt(variance(dnFall) / dnFall.length),
                "DeepNorm's fall is β's: " + fmt(dnFall));
    }

    /** Per configuration (depth, placement, skip) and seed: gap_closed, 1 − loss_last / the baseline. */
    static Map<String, double[]> gapClosed(String output) {
        return bySeed(output, "SELECT concat_ws(' ', depth, placement, skip), seed, gap_closed FROM runs");
    }

    /**
     * Xiong et al. 2020, training with Adam at lr 0.01 and no warmup: at depth 8 post-LN ends well above pre-LN; it
     * does not learn at all (its last losses stay at the baseline, ln 8) while pre-LN learns reverse. Warmup is not
     * asserted: at this size it did not close the gap reliably (docs/reference-results.md#xiong2020_transformer).
     */
    @Test
    void xiong2020PostLnDoesNotLearnAtDepthWherePreLnDoes() {
        Map<String, double[]> g = gapClosed("tref_train");
        double[] pre = g.get("8 pre residual"), post = g.get("8 post residual");
        assertAbove(pre, post, "gap closed at depth 8: pre-LN above post-LN");
        assertTrue(mean(post) < 0.1, "post-LN learns nothing at depth 8: gap closed " + fmt(post));
        assertTrue(mean(pre) > 0.9, "pre-LN learns at depth 8: gap closed " + fmt(pre));
    }

    /**
     * Xiong et al. 2020, the remedy, at the full-size grid's net (xiong2020_transformer.yaml, depth 6, lr 0.01, 300
     * steps): without warmup post-LN does not learn, with a linear warmup over the first 100 steps it does. Slow (6
     * runs of 300 steps), so only with -Dgradsweep.test.slowRepro=true; at the default test's size warmup did not
     * close the gap beyond seed noise (docs/reference-results.md#xiong2020_transformer).
     */
    @Test
    @EnabledIfSystemProperty(named = "gradsweep.test.slowRepro", matches = "true")
    void xiong2020WarmupLetsPostLnLearnAtTheFullGridsSize() throws Exception {
        String[] yaml = new String[2];
        for (int warmup : new int[] {0, 100})
            yaml[warmup / 100] = String.join(
                    "\n",
                    "name: tref_warmup" + warmup,
                    "train: {steps: 300, batch: 16, optimizer: adam, lr: 0.01, dtype: float32, warmup: " + warmup + "}",
                    NET + "  depth: [6]",
                    "  norm: [layer]",
                    "  placement: [post]",
                    "  skip: [residual]",
                    "");
        sweep(yaml[0]);
        sweep(yaml[1]);
        String q = "SELECT 'post', seed, gap_closed FROM runs";
        double[] without = bySeed("tref_warmup0", q).get("post"),
                with = bySeed("tref_warmup100", q).get("post");
        assertTrue(mean(without) < 0.1, "post-LN without warmup learns nothing: gap closed " + fmt(without));
        assertTrue(mean(with) > 0.9, "post-LN with warmup learns: gap closed " + fmt(with));
        assertAbove(with, without, "gap closed: with warmup above without");
    }

    /** Wang et al. 2022: post-LN with DeepNorm learns at the depth (8) where plain post-LN does not. */
    @Test
    void deepNormTrainsWherePostLnDoesNot() {
        Map<String, double[]> g = gapClosed("tref_train");
        double[] dn = g.get("8 post deepnorm"), post = g.get("8 post residual");
        assertAbove(dn, post, "gap closed at depth 8: DeepNorm above post-LN");
        assertTrue(mean(dn) > 0.9, "DeepNorm learns: gap closed " + fmt(dn));
    }

    /**
     * Bachlechner et al. 2020: the ReZero transformer (no norm, α = 0 at init) reaches the post-LN one's loss in fewer
     * steps. The target is the worst post-LN seed's final loss (the mean of its last 10 steps), which every post-LN
     * run reaches by its last step; a run reaches it at the first step where its 10-step running mean is at or below.
     */
    @Test
    void rezeroReachesPostLnLossInFewerSteps() {
        Map<String, double[]> steps = bySeed(
                "tref_train",
                String.join(
                        "\n",
                        "WITH m AS (SELECT r.run_id, r.skip, r.seed, s.step, r.steps,",
                        "    avg(s.loss) OVER (PARTITION BY r.run_id ORDER BY s.step ROWS 9 PRECEDING) AS m",
                        "  FROM steps s JOIN runs r USING (run_id) WHERE r.depth = 4 AND r.placement <> 'pre'),",
                        "t AS (SELECT max(m) AS target FROM m WHERE skip = 'residual' AND step = steps - 1)",
                        "SELECT skip, seed, double(min(CASE WHEN step >= 9 AND m <= target THEN step END))",
                        "FROM m CROSS JOIN t GROUP BY skip, seed"));
        double[] post = steps.get("residual"), rezero = steps.get("rezero");
        assertAbove(post, rezero, "steps to post-LN's final loss: post-LN above ReZero");
    }

    /** Sweeps the grid (no compaction: the tables answer the same) and registers its table views in a session of its own. */
    static void sweep(String yaml) throws Exception {
        String name = yaml.substring("name: ".length(), yaml.indexOf('\n'));
        Path grid = tmp.resolve(name + ".yaml"), out = tmp.resolve(name);
        Files.writeString(grid, yaml);
        SweepDriver.Summary s = SweepDriver.run(
                new SweepDriver.Options(grid.toString(), out.toString(), false, false, "local[2]", 0, true, false),
                new PrintStream(new ByteArrayOutputStream()));
        assertEquals(s.total(), s.count("ok"), name + ": every run trains");
        SparkSession views = spark.newSession();
        SqlViews.registerTableViews(views, out.toString());
        outputs.put(name, views);
    }

    /** One value per seed (ordered by seed) for each configuration {@code key} of the query's rows (key, seed, value). */
    static Map<String, double[]> bySeed(String output, String query) {
        return bySeed(outputs.get(output), query);
    }

    /** The same over the views registered in {@code views} (ConvReproductionTest's sessions). */
    static Map<String, double[]> bySeed(SparkSession views, String query) {
        Map<String, List<Double>> m = new HashMap<>();
        for (Row r : views.sql(query + " ORDER BY 1, 2").collectAsList())
            m.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.isNullAt(2) ? Double.NaN : r.getDouble(2));
        Map<String, double[]> out = new HashMap<>();
        m.forEach(
                (k, v) -> out.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
        return out;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static double variance(double[] v) {
        double m = mean(v), s = 0;
        for (double x : v) s += (x - m) * (x - m);
        return s / (v.length - 1);
    }

    /** mean(a) − mean(b) exceeds 3 standard errors of the difference (Welch), both over seeds. */
    static void assertAbove(double[] a, double[] b, String what) {
        double diff = mean(a) - mean(b), se = Math.sqrt(variance(a) / a.length + variance(b) / b.length);
        assertTrue(
                diff > 3 * se,
                what + ": " + fmt(a) + " vs " + fmt(b) + ", difference " + diff + ", 3 standard errors " + 3 * se);
    }

    static String fmt(double[] v) {
        return java.util.Arrays.toString(v);
    }

    static double[] minus(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
        return d;
    }
}
