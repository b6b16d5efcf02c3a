package dev.gradsweep.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What a user training CNNs would try where a conv run (arch conv) is not healthy: the fixes the CNN literature found
 * for the failure its configuration suggests, one sentence per kind of failure, naming the runs and, where the sweep
 * holds one, a healthy run that shows the fix.
 */
final class ConvFindings {
    /** Verdicts of a run that does not train (the degradation He et al. 2016 describe looks like these). */
    static final Set<String> STUCK = Set.of("not_learning", "vanishing", "frozen", "collapsed");
    /** Batch norm's per-channel statistics get noisy below this batch (Wu & He 2018, Fig. 1: from 16 down). */
    static final int SMALL_BATCH = 16;

    private ConvFindings() {}

    static List<String> advice(List<Map<String, Object>> verdicts, Function<Map<String, Object>, String> label) {
        List<Map<String, Object>> conv =
                verdicts.stream().filter(ConvPlots::conv).toList();
        List<String> out = new ArrayList<>();
        sentence(
                out,
                conv,
                label,
                v -> "none".equals(v.get("skip")) && STUCK.contains(v.get("verdict")),
                "plain conv net",
                "a deep plain (VGG-style) conv net degrades: He et al. 2016 found deeper plain nets train worse than "
                        + "shallower ones and identity shortcuts remove the gap. Try skip: residual (with a norm), or "
                        + "skip: fixup or rezero without one",
                (ex, v) -> !"none".equals(v.get("skip")) && "healthy".equals(v.get("verdict")),
                // a ResNet of the same 3 × 3 conv depth (two per block) shows the fix best
                (ex, v) -> 2 * num(v, "depth") == num(ex, "depth"));
        sentence(
                out,
                conv,
                label,
                v -> "batch".equals(v.get("norm"))
                        && num(v, "batch") < SMALL_BATCH
                        && !"healthy".equals(v.get("verdict")),
                "batch-norm conv net at a batch below " + SMALL_BATCH,
                "batch norm estimates each channel's statistics from the batch, which is noisy when it is small "
                        + "(Wu & He 2018). Try norm: group (train.groups), which normalises each sample on its own",
                (ex, v) -> "group".equals(v.get("norm")) && "healthy".equals(v.get("verdict")),
                (ex, v) -> num(v, "batch") == num(ex, "batch"));
        sentence(
                out,
                conv,
                label,
                v -> "residual".equals(v.get("skip"))
                        && "none".equals(v.get("norm"))
                        && !"healthy".equals(v.get("verdict")),
                "residual conv net without a norm",
                "each residual block without a norm adds its branch's variance to the signal, so a deep one starts "
                        + "exploded. Try skip: fixup (Zhang et al. 2019) or rezero (Bachlechner et al. 2020), "
                        + "which start every block at the identity, or norm: batch",
                (ex, v) -> ("fixup".equals(v.get("skip")) || "rezero".equals(v.get("skip")))
                        && "healthy".equals(v.get("verdict")),
                (ex, v) -> num(v, "depth") == num(ex, "depth"));
        return out;
    }

    /**
     * "N <what>s are not healthy (e.g. X: verdict). <why>; in this sweep Y is healthy." when any run matches; Y is a
     * run that {@code fixed} accepts beside the example, one also {@code like} it if there is one.
     */
    private static void sentence(
            List<String> out,
            List<Map<String, Object>> conv,
            Function<Map<String, Object>, String> label,
            Predicate<Map<String, Object>> matches,
            String what,
            String why,
            BiPredicate<Map<String, Object>, Map<String, Object>> fixed,
            BiPredicate<Map<String, Object>, Map<String, Object>> like) {
        List<Map<String, Object>> hit = conv.stream().filter(matches).toList();
        if (hit.isEmpty()) return;
        Map<String, Object> ex = hit.get(0);
        StringBuilder s = new StringBuilder("CNN advice: " + hit.size() + " " + what
                + (hit.size() == 1 ? " is" : "s are")
                + " not healthy (e.g. " + label.apply(ex) + ", seed " + ex.get("seed") + ": " + ex.get("verdict")
                + "); " + why);
        List<Map<String, Object>> fixes =
                conv.stream().filter(v -> fixed.test(ex, v)).toList();
        fixes.stream()
                .filter(v -> like.test(ex, v))
                .findFirst()
                .or(() -> fixes.stream().findFirst())
                .ifPresent(
                        v -> s.append("; in this sweep ").append(label.apply(v)).append(" is healthy"));
        out.add(s.append('.').toString());
    }

    private static double num(Map<String, Object> v, String k) {
        return Findings.num(v, k);
    }
}
