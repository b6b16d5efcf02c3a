package dev.gradsweep.grid;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One point of the grid: everything a task needs to train and record one run. {@link #runId} is the first 16 hex
 * characters of SHA-256 of {@link #canonical()}, so the same configuration always has the same id.
 */
public final class RunConfig implements Serializable {
    public final String sweep;
    public final int depth;
    public final int width;
    public final Activation activation;
    public final Init init;
    public final Norm norm;
    /** {@link Placement#NA} unless a norm sits inside a skip block, or in a transformer block; conv: a norm or a skip. */
    public final Placement placement;

    public final Skip skip;
    /** {@link Cell#NONE} for feed-forward nets; a recurrent cell has depth stacked layers of width units. */
    public final Cell cell;
    /** Sequence length T of a recurrent run, the context length of a transformer; 0 (no sequence) for the others. */
    public final int seqLen;
    /** Recurrent weight initializer; null (recorded as n/a) for cell none. */
    public final RecInit recInit;
    /**
     * mlp (feed-forward and recurrent nets), transformer ({@code depth} blocks of width {@code width}) or conv
     * ({@code depth} conv layers or blocks over {@code train.stages} stages, first stage {@code width} channels).
     */
    public final Arch arch;
    /** Attention heads of a transformer (they divide width: head size width / heads); 0 for arch mlp. */
    public final int heads;
    /** Position encoding of a transformer; null (recorded as n/a) for arch mlp. */
    public final Positions positions;

    public final TaskSpec task;
    public final TrainSpec train;
    public final long seed;
    /** The user's factory and custom axis values of a {@code model:} grid's run; null for the built-in nets. */
    public final UserModel user;

    public final String runId;

    /** A feed-forward run. */
    public RunConfig(
            String sweep,
            int depth,
            int width,
            Activation activation,
            Init init,
            Norm norm,
            Placement placement,
            Skip skip,
            TaskSpec task,
            TrainSpec train,
            long seed) {
        this(sweep, depth, width, activation, init, norm, placement, skip, Cell.NONE, 0, null, task, train, seed);
    }

    /** A feed-forward (arch mlp) or recurrent run. */
    public RunConfig(
            String sweep,
            int depth,
            int width,
            Activation activation,
            Init init,
            Norm norm,
            Placement placement,
            Skip skip,
            Cell cell,
            int seqLen,
            RecInit recInit,
            TaskSpec task,
            TrainSpec train,
            long seed) {
        this(
                sweep,
                depth,
                width,
                activation,
                init,
                norm,
                placement,
                skip,
                cell,
                seqLen,
                recInit,
                Arch.MLP,
                0,
                null,
                task,
                train,
                seed,
                null);
    }

    /**
     * Settings that mean nothing collapse, so they never multiply runs: a placement without a norm inside a skip
     * block (or a transformer block) becomes n/a; seq_len for cell none and arch mlp; rec_init for cell none; for
     * lstm and gru the activation (always tanh); for every cell but lstm the forget-gate bias; heads, positions and
     * train.ffn for arch mlp and conv; train.stages but for arch conv, train.groups but for conv with norm group.
     * {@code user}: the user's factory and custom values, or null for gradsweep's own nets.
     */
    public RunConfig(
            String sweep,
            int depth,
            int width,
            Activation activation,
            Init init,
            Norm norm,
            Placement placement,
            Skip skip,
            Cell cell,
            int seqLen,
            RecInit recInit,
            Arch arch,
            int heads,
            Positions positions,
            TaskSpec task,
            TrainSpec train,
            long seed,
            UserModel user) {
        boolean transformer = arch == Arch.TRANSFORMER, conv = arch == Arch.CONV;
        this.sweep = sweep;
        this.depth = depth;
        this.width = width;
        this.activation = cell == Cell.LSTM || cell == Cell.GRU ? Activation.TANH : activation;
        this.init = init;
        this.norm = norm;
        // conv: post is the original ResNet (N after the conv, f after the sum), pre the pre-activation one (N-f-conv,
        // nothing after the sum), so placement means something with a skip even without a norm
        boolean placed =
                conv ? norm != Norm.NONE || skip != Skip.NONE : norm != Norm.NONE && (skip != Skip.NONE || transformer);
        this.placement = placed ? placement : Placement.NA;
        this.skip = skip;
        this.cell = cell;
        this.seqLen = cell.recurrent() || transformer ? seqLen : 0;
        this.recInit = cell.recurrent() ? recInit : null;
        this.arch = arch;
        this.heads = transformer ? heads : 0;
        this.positions = transformer ? positions : null;
        this.task = task;
        TrainSpec t = cell != Cell.LSTM && train.forgetBias != TrainSpec.DEFAULT_FORGET_BIAS
                ? train.withForgetBias(TrainSpec.DEFAULT_FORGET_BIAS)
                : train;
        if (!transformer && t.ffn != TrainSpec.DEFAULT_FFN) t = t.withFfn(TrainSpec.DEFAULT_FFN);
        int stages = conv ? t.stages : TrainSpec.DEFAULT_STAGES;
        int groups = conv && norm == Norm.GROUP ? t.groups : TrainSpec.DEFAULT_GROUPS;
        this.train = stages != t.stages || groups != t.groups ? t.withConv(stages, groups) : t;
        this.seed = seed;
        this.user = user;
        this.runId = hash(canonical());
    }

    /**
     * All axes, task, train and seed; not the sweep name, so a config keeps its id across sweeps. The recurrent
     * fields are appended only for recurrent cells, the transformer fields only for transformers and the conv ones
     * only for conv nets, so the ids of every other configuration are those from before these axes
     * (src/test/resources/grid/run-ids-before-transformers.txt, run-ids-before-conv.txt); a user factory's class and custom axis values are appended for its runs alone.
     */
    public String canonical() {
        return "depth=" + depth + ";width=" + width + ";activation=" + activation.key + ";init=" + init + ";norm="
                + norm
                + ";placement=" + placement + ";skip=" + skip + ";task=" + task.canonical() + ";train="
                + train.canonical() + ";seed=" + seed
                + (cell.recurrent() ? ";cell=" + cell + ";seq_len=" + seqLen + ";rec_init=" + recInit : "")
                + (arch == Arch.TRANSFORMER
                        ? ";arch=" + arch + ";heads=" + heads + ";ffn=" + train.ffn + ";positions=" + positionsText()
                                + ";seq_len=" + seqLen
                        : "")
                + (arch == Arch.CONV
                        ? ";arch=" + arch + ";stages=" + train.stages
                                + (norm == Norm.GROUP ? ";groups=" + train.groups : "")
                        : "")
                + (user != null ? user.canonical() : "");
    }

    /** positions as the runs table spells it ("n/a" for arch mlp, as placement). */
    public String positionsText() {
        return positions == null ? Placement.NA.key : positions.key;
    }

    /** rec_init as the runs table spells it ("n/a" for cell none, as placement). */
    public String recInitText() {
        return recInit == null ? Placement.NA.key : recInit.toString();
    }

    static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) sb.append(String.format("%02x", d[i]));
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same configuration with another seed (bench and tests replicate runs this way). */
    public RunConfig withSeed(long otherSeed) {
        return with(task, otherSeed);
    }

    /** The same configuration with another task (the driver fills in a table file's shape). */
    public RunConfig withTask(TaskSpec otherTask) {
        return with(otherTask, seed);
    }

    private RunConfig with(TaskSpec otherTask, long otherSeed) {
        return new RunConfig(
                sweep,
                depth,
                width,
                activation,
                init,
                norm,
                placement,
                skip,
                cell,
                seqLen,
                recInit,
                arch,
                heads,
                positions,
                otherTask,
                train,
                otherSeed,
                user);
    }

    @Override
    public String toString() {
        return runId + " " + canonical();
    }
}
