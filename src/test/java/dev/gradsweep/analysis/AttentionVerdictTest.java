package dev.gradsweep.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.store.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The attention verdicts (rank_collapse, logit_growth, entropy_collapse) on hand-made runs and attention rows, each
 * rule on both sides of its threshold, with the thresholds set here (not the defaults, which measurements tune) and
 * every expected value derived in the comments. No training.
 */
class AttentionVerdictTest {
    /** Thresholds of this test: rank_collapse_cos, logit_growth_ratio, max_logit, entropy_collapse. */
    static final Map<String, String> PARAMS = Map.of(
            "rank_collapse_cos", "0.99", "logit_growth_ratio", "10.0", "max_logit", "30.0", "entropy_collapse", "0.1");

    /** ln 8: uniform attention's entropy over the T = 8 keys of a bidirectional task. */
    static final double LN8 = Math.log(8);
    /** Under the causal mask query i (1-based) sees i keys: the mean of ln i over i = 1..8, ln(8!) / 8 = 1.3256. */
    static final double CAUSAL8 = Math.log(40320) / 8;

    static SparkSession spark;
    static final List<Map<String, Object>> runs = new ArrayList<>();
    static final List<Row> stalls = new ArrayList<>(), attn = new ArrayList<>();
    static Map<String, Row> v;

    /**
     * A 10-block transformer (VerdictRulesTest's depth 10, healthy layer_stalls) on T = 8 that does not learn (5 % of
     * the gap), 60 steps with a loss window of 6 (the last window: steps 54-59), unless {@code set} says otherwise.
     */
    static Map<String, Object> run(String id, long seed, Object... set) {
        Object[] all = new Object[set.length + 24];
        System.arraycopy(
                new Object[] {
                    "seed",
                    seed,
                    "arch",
                    "transformer",
                    "heads",
                    2,
                    "seq_len",
                    8,
                    "task",
                    "reverse{vocab=10}",
                    "skip",
                    "residual",
                    "norm",
                    "layer",
                    "placement",
                    "pre",
                    "loss_window",
                    6,
                    "loss_last",
                    0.95,
                    "gap_closed",
                    0.05,
                    "width",
                    32
                },
                0,
                all,
                0,
                24);
        System.arraycopy(set, 0, all, 24, set.length);
        Map<String, Object> r = VerdictRulesTest.run(id, all);
        runs.add(r);
        stalls.addAll(VerdictRulesTest.stalls(id, Map.of(), Map.of()));
        return r;
    }

    /**
     * Attention rows of blocks 0 and 9 (the last), heads 0 and 1, at step 0, step 30 (outside the last window: every
     * value there would fire every rule, so a rule that read it would fail this test) and steps 54-59. Elsewhere:
     * entropy 0.9 of uniform's ({@code hU}), logits 1, token cosine 0.5 (last block) and 0.2. At step 0 block 0 head 0's
     * logit is {@code logit0} and the last block's cosine {@code cos0}; in the last window block 0 head 0's logit is
     * {@code logitLast} and block 9 head 1's entropy {@code low} of uniform's.
     */
    static void attention(String id, double hU, double cos0, double logit0, double logitLast, double low) {
        List<Integer> steps = new ArrayList<>(List.of(0, 30));
        for (int s = 54; s < 60; s++) steps.add(s);
        for (int step : steps)
            for (int layer : new int[] {0, 9})
                for (int head = 0; head < 2; head++) {
                    boolean first = step == 0, mid = step == 30, h00 = layer == 0 && head == 0;
                    double entropy = mid ? 0 : (!first && layer == 9 && head == 1 ? low : 0.9) * hU;
                    double logit = mid ? 1000 : h00 ? (first ? logit0 : logitLast) : 1;
                    double cos = mid ? 1 : layer == 9 ? (first ? cos0 : 0.5) : 0.2;
                    Object[] r = new Object[Table.ATTENTION.columns.size()];
                    Object[] kv = {
                        "run_id",
                        id,
                        "step",
                        step,
                        "layer",
                        layer,
                        "head",
                        head,
                        "entropy_mean",
                        entropy,
                        "entropy_min",
                        entropy,
                        "max_logit",
                        logit,
                        "token_cos_mean",
                        cos
                    };
                    for (int i = 0; i < kv.length; i += 2) r[Table.ATTENTION.index((String) kv[i])] = kv[i + 1];
                    attn.add(RowFactory.create(r));
                }
    }

    /** A run (as {@link #run}) with its attention rows (as {@link #attention}). */
    static void tf(
            String id, long seed, double hU, double cos0, double logit0, double logitLast, double low, Object... set) {
        run(id, seed, set);
        attention(id, hU, cos0, logit0, logitLast, low);
    }

    /** The run's layer_stalls rows with layer 0 starved (10^-4 of the reference): the vanishing rule fires. */
    static void starveLayer0(String id) {
        stalls.removeIf(r -> r.get(Table.LAYER_STALLS.index("run_id")).equals(id));
        stalls.addAll(VerdictRulesTest.stalls(id, Map.of(0, -4.0), Map.of()));
    }

    @BeforeAll
    static void session() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("attention-verdict-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        // rank collapse: the last block's cosine at step 0 above 0.99 or not; a run that learns is healthy anyway
        tf("rank", 1, LN8, 0.995, 2, 2, 0.9);
        tf("rank-below", 2, LN8, 0.985, 2, 2, 0.9);
        tf("rank-learns", 3, LN8, 0.999, 2, 2, 0.9, "gap_closed", 0.5, "loss_last", 0.5);
        // logit growth: 2 -> 35 is 17.5x and above 30; 2 -> 25 is 12.5x but below 30; 4 -> 35 is above 30 but 8.75x
        tf("logit", 4, LN8, 0.5, 2, 35, 0.5);
        tf("logit-below-bound", 5, LN8, 0.5, 2, 25, 0.5);
        tf("logit-below-ratio", 6, LN8, 0.5, 4, 35, 0.5);
        // entropy collapse: the lowest head at 0.09 of uniform's or 0.11, bidirectional (ln 8) and causal (text)
        tf("entropy", 7, LN8, 0.5, 2, 2, 0.09);
        tf("entropy-above", 8, LN8, 0.5, 2, 2, 0.11);
        tf("entropy-text", 9, CAUSAL8, 0.5, 2, 2, 0.09, "task", "text{path=/x.txt}");
        // 0.11 of the causal uniform entropy is 0.11 x 1.3256 / ln 8 = 0.070 of ln 8: normalizing by ln T would fire
        tf("entropy-text-above", 10, CAUSAL8, 0.5, 2, 2, 0.11, "task", "text{path=/x.txt}");
        // the order: rank collapse before logit growth before entropy collapse before vanishing; diverged first
        tf("all-three", 11, LN8, 0.995, 2, 35, 0.01);
        tf("logit-and-entropy", 12, LN8, 0.5, 2, 35, 0.01);
        tf("entropy-vanishing", 13, LN8, 0.5, 2, 2, 0.01);
        starveLayer0("entropy-vanishing");
        // a post-LN net whose attention is fine and whose lower blocks are starved: vanishing, the transformer's fix
        tf("vanishing-post", 15, LN8, 0.5, 2, 2, 0.9, "placement", "post");
        starveLayer0("vanishing-post");
        tf("diverged", 14, LN8, 0.995, 2, 35, 0.01, "status", "diverged", "steps_done", 60);
        // a plain MLP (VerdictRulesTest's run) and no attention rows: not learning, the new evidence null
        runs.add(VerdictRulesTest.run("mlp", "loss_last", 0.95, "gap_closed", 0.05, "width", 24));
        stalls.addAll(VerdictRulesTest.stalls("mlp", Map.of(), Map.of()));
        v = VerdictRulesTest.byRun(VerdictRulesTest.views(spark, runs, stalls, attn, PARAMS), "SELECT * FROM verdicts");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static String verdict(String id) {
        return v.get(id).getAs("verdict");
    }

    @Test
    void eachRuleFiresOnOneSideOfItsThresholdOnly() {
        assertEquals("rank_collapse", verdict("rank"), v.get("rank").toString());
        assertEquals("not_learning", verdict("rank-below"));
        assertEquals("healthy", verdict("rank-learns"), "a run that learns is healthy");
        assertEquals("logit_growth", verdict("logit"), v.get("logit").toString());
        assertEquals("not_learning", verdict("logit-below-bound"));
        assertEquals("not_learning", verdict("logit-below-ratio"));
        assertEquals("entropy_collapse", verdict("entropy"), v.get("entropy").toString());
        assertEquals("not_learning", verdict("entropy-above"));
        assertEquals(
                "entropy_collapse",
                verdict("entropy-text"),
                v.get("entropy-text").toString());
        assertEquals(
                "not_learning",
                verdict("entropy-text-above"),
                v.get("entropy-text-above").toString());
    }

    @Test
    void theOrderAndTheEvidence() {
        assertEquals("rank_collapse", verdict("all-three"));
        assertEquals("logit_growth", verdict("logit-and-entropy"));
        assertEquals("entropy_collapse", verdict("entropy-vanishing"), "the cause before the vanishing gradient");
        assertEquals("diverged", verdict("diverged"));
        assertEquals("vanishing", verdict("vanishing-post"));
        assertTrue(
                ((String) v.get("vanishing-post").getAs("try")).startsWith("placement: pre"),
                v.get("vanishing-post").toString());
        assertEquals("not_learning", verdict("mlp"));
        for (String c : List.of(
                "entropy_last",
                "entropy_low",
                "entropy_low_layer",
                "entropy_low_head",
                "max_logit_first",
                "max_logit_last",
                "token_cos_first",
                "token_cos_last")) {
            Row mlp = v.get("mlp");
            assertTrue(mlp.isNullAt(mlp.fieldIndex(c)), c + " of an mlp run: " + mlp);
        }
        // the last window only (step 30's values left out): 3 heads at 0.9 and one at 0.09, mean 0.6975
        Row e = v.get("entropy");
        assertEquals(0.09, (double) e.getAs("entropy_low"), 1e-12);
        assertEquals(0.6975, (double) e.getAs("entropy_last"), 1e-12);
        assertEquals(9, (int) e.getAs("entropy_low_layer"));
        assertEquals(1, (int) e.getAs("entropy_low_head"));
        assertEquals(
                "attention entropy collapsed: block 9 head 1's is 0.090 of uniform attention's in the last 6 steps"
                        + " (below 0.1; mean over heads 0.70); the largest logit 2.00 (step 0: 2.00); the run closed"
                        + " 5.0% of the gap to the best constant predictor",
                e.getAs("reason"));
        assertEquals(0.09, (double) v.get("entropy-text").getAs("entropy_low"), 1e-12, "normalized by ln(8!)/8");
        Row l = v.get("logit");
        assertEquals(2.0, (double) l.getAs("max_logit_first"));
        assertEquals(35.0, (double) l.getAs("max_logit_last"));
        assertEquals(
                "the largest attention logit grew from 2.00 at step 0 to 35.0 in the last 6 steps (more than 10.0 times,"
                        + " and above 30.0); the lowest head's entropy is 0.50 of uniform (block 9, head 1); the run"
                        + " closed 5.0% of the gap to the best constant predictor",
                l.getAs("reason"));
        Row r = v.get("rank");
        assertEquals(0.995, (double) r.getAs("token_cos_first"), 1e-12);
        assertEquals(0.5, (double) r.getAs("token_cos_last"), 1e-12);
        assertEquals(
                "the last block's tokens are indistinguishable from the start: their mean pairwise cosine is 0.9950"
                        + " at step 0 (above 0.99; 0.500 in the last 6 steps); the run closed 5.0% of the gap to the"
                        + " best constant predictor",
                r.getAs("reason"));
        for (String id : List.of("rank", "logit", "entropy")) {
            assertEquals("textbook", v.get(id).getAs("try_from"), id);
            assertTrue(v.get(id).getAs("try") != null, id);
        }
        assertTrue(((String) v.get("rank").getAs("try")).contains("skip: residual"));
        assertTrue(((String) v.get("logit").getAs("try")).contains("qk-layernorm"));
        assertTrue(((String) v.get("entropy").getAs("try")).contains("warmup"));
    }
}
