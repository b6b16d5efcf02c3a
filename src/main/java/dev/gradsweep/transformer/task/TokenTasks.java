package dev.gradsweep.transformer.task;

import dev.gradsweep.grid.Arch;
import dev.gradsweep.grid.RunConfig;

/** The token task of a transformer run. */
public final class TokenTasks {
    private TokenTasks() {}

    /**
     * The task of {@code rc} (arch transformer, a token task): its samples depend on rc.seed only, so two runs that
     * differ in anything else see the same data. A text task reads its file here.
     */
    public static TokenTask of(RunConfig rc) {
        if (rc.arch != Arch.TRANSFORMER || !rc.task.kind.tokens())
            throw new IllegalArgumentException("not a transformer run with a token task: " + rc);
        return switch (rc.task.kind) {
            case REVERSE -> new ReverseSortTask(false, rc.task.vocab, rc.seqLen, rc.seed);
            case SORT -> new ReverseSortTask(true, rc.task.vocab, rc.seqLen, rc.seed);
            case MODADD -> new ModAddTask(rc.task.p, rc.task.trainFraction, rc.task.evalEvery, rc.seed);
            default -> TextTask.load(rc.task.path, rc.seqLen, rc.seed);
        };
    }
}
