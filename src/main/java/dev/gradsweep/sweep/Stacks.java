package dev.gradsweep.sweep;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.train.stack.StackedMlp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups a sweep's runs into Spark tasks: runs that {@link StackedMlp} can train together (plain or block nets of
 * the same shapes and architecture, differing in seed, initializer, learning rate, warmup or clip value) share a
 * task, the others (recurrent cells) get one task each. Stacks are made no larger
 * than needed to keep every core busy, and at most {@link #MAX_STACK} runs.
 */
public final class Stacks {
    /** Largest stack: the size at which the stacked engine's speed-up was measured (docs/platform-notes.md). */
    public static final int MAX_STACK = 32;

    private Stacks() {}

    /**
     * @param parallelism tasks Spark runs at once ({@link SweepDriver#slots}); each group is cut into at least 2 x parallelism stacks when it
     *                    is large enough, so stacking never leaves cores idle
     */
    public static List<List<RunConfig>> plan(List<RunConfig> runs, int parallelism, boolean stack) {
        List<List<RunConfig>> tasks = new ArrayList<>();
        Map<String, List<RunConfig>> groups = new LinkedHashMap<>();
        for (RunConfig r : runs) {
            if (stack && StackedMlp.supports(r))
                groups.computeIfAbsent(StackedMlp.stackKey(r), k -> new ArrayList<>())
                        .add(r);
            else tasks.add(List.of(r));
        }
        for (List<RunConfig> g : groups.values()) {
            int size = Math.max(1, Math.min(MAX_STACK, (int) Math.ceil(g.size() / (2.0 * Math.max(1, parallelism)))));
            for (int i = 0; i < g.size(); i += size) tasks.add(List.copyOf(g.subList(i, Math.min(g.size(), i + size))));
        }
        return tasks;
    }
}
