package dev.gradsweep.grid;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Combinations of the axes, the task and the architecture that cannot be trained, checked run by run (excluded
 * combinations are not checked, so an {@code exclude} entry is the way around one), before Spark starts.
 */
final class RunRules {
    private final GridContext c;
    /** A text task's length in characters, read once per file. */
    private final Map<String, Integer> textLength = new HashMap<>();

    RunRules(GridContext c) {
        this.c = c;
    }

    void check(RunConfig rc) {
        if (rc.user != null) {
            checkUserModel(rc);
            return;
        }
        if (rc.arch == Arch.CONV) {
            checkConv(rc);
            return;
        }
        if (rc.norm == Norm.GROUP)
            throw c.err("axes.norm", "group with arch " + rc.arch + ": group norm is for conv nets (arch conv)");
        if (rc.skip == Skip.FIXUP)
            throw c.err("axes.skip", "fixup with arch " + rc.arch + ": Fixup is for conv nets (arch conv)");
        if (rc.arch == Arch.TRANSFORMER) checkTransformer(rc);
        else {
            if (rc.skip == Skip.DEEPNORM)
                throw c.err(
                        "axes.skip", "deepnorm with arch mlp: DeepNorm is for transformer blocks (arch transformer)");
            checkCell(rc);
        }
    }

    /**
     * A factory's run: gradsweep feeds it the task's rows and steps its updater; the network, and so the architecture
     * and gradient normalisation, are the factory's.
     */
    private void checkUserModel(RunConfig rc) {
        String cls = "model.class " + rc.user.factoryClass;
        if (rc.arch != Arch.MLP)
            throw c.err(
                    "axes.arch",
                    "arch " + rc.arch + " with " + cls + ": the factory builds the network; leave arch out");
        if (rc.cell.recurrent())
            throw c.err(
                    "axes.cell",
                    "cell " + rc.cell + " with " + cls + ": the factory builds the network; leave cell out");
        String plainOnly = rc.norm != Norm.NONE ? "norm " + rc.norm : rc.skip != Skip.NONE ? "skip " + rc.skip : null;
        if (plainOnly != null)
            throw c.err(
                    "axes." + plainOnly.substring(0, plainOnly.indexOf(' ')),
                    plainOnly + " with " + cls + ": gradsweep reads a factory's network as a plain one (δ from each"
                            + " layer's bias gradient); describe its choices with custom axes, e.g. custom: {residual:"
                            + " [true, false]}");
        if (rc.task.kind.tokens() || rc.task.kind.sequence())
            throw c.err(
                    "task.kind",
                    rc.task.name() + " with " + cls + ": a factory's network trains on feature rows (teacher, gauss,"
                            + " spirals, parity, table, bars, teacher_cnn)");
        if (!rc.train.clip.equals("none"))
            throw c.err(
                    "train.clip",
                    "clip " + rc.train.clip + " with " + cls
                            + ": set DL4J's gradientNormalization in the factory; gradsweep does not clip its networks");
        if (rc.train.warmup > 0)
            throw c.err("train.warmup", "warmup with " + cls + ": give the factory's updater a schedule instead");
    }

    /** Combinations of the cell with the task and the other axes that cannot be trained (excluded ones are not checked). */
    private void checkCell(RunConfig rc) {
        String kind = rc.task.name();
        if (!rc.cell.recurrent()) {
            if (rc.task.kind.tokens())
                throw c.err("task.kind", kind + " is a token task: it needs axes.arch transformer");
            if (rc.task.kind.sequence())
                throw c.err(
                        "task.kind",
                        kind + " is a sequence task: it needs axes.cell rnn, lstm or gru (cell none is feed-forward)");
            return;
        }
        String cell = "cell " + rc.cell;
        if (!rc.task.kind.sequence())
            throw c.err("axes.cell", cell + " needs a sequence task (task.kind adding or copy), not " + kind);
        if (rc.task.kind.tokens())
            throw c.err("task.kind", kind + " is a token task: it needs axes.arch transformer and cell none");
        if (rc.norm != Norm.NONE)
            throw c.err("axes.norm", "norm " + rc.norm + " with " + cell + ": recurrent nets have no norm; use none");
        if (rc.skip != Skip.NONE)
            throw c.err(
                    "axes.skip",
                    "skip " + rc.skip + " with " + cell + ": recurrent nets have no skip blocks; use none");
        if (rc.cell == Cell.RNN && !Cell.rnnActivation(rc.activation))
            throw c.err(
                    "axes.activation",
                    "activation " + rc.activation.key + " with cell rnn; allowed: " + Cell.RNN_ACTIVATIONS);
        if (rc.seqLen == 0)
            throw c.err("axes.seq_len", "missing: a recurrent cell needs the sequence length T, e.g. seq_len: [50]");
        if (rc.task.kind == TaskSpec.Kind.COPY && rc.seqLen < TaskSpec.COPY_MIN_SEQ_LEN)
            throw c.err(
                    "axes.seq_len",
                    rc.seqLen + " is too short for copy: at least " + TaskSpec.COPY_MIN_SEQ_LEN
                            + " (its symbols and the recall marker)");
    }

    /** A conv net: an image task, its norms and skips, and stages that fit the depth and the image. */
    private void checkConv(RunConfig rc) {
        if (rc.cell.recurrent())
            throw c.err("axes.cell", "cell " + rc.cell + " with arch conv: a conv net has no recurrent cell; use none");
        int[] shape = rc.task.imageShape();
        if (shape == null && rc.task.kind == TaskSpec.Kind.TABLE)
            throw c.err(
                    "task.shape",
                    "missing: arch conv reads each row of the table as an image; give its [channels, height, width],"
                            + " e.g. shape: [1, 28, 28]");
        if (shape == null)
            throw c.err(
                    "task.kind",
                    rc.task.name() + " with arch conv: a conv net needs images (bars, teacher_cnn, or table with"
                            + " task.shape)");
        if (rc.task.objective != TaskSpec.Objective.CLASSIFICATION)
            throw c.err(
                    "task.objective",
                    rc.task.objective.name().toLowerCase() + " with arch conv: conv nets train classification tasks"
                            + " (softmax + cross-entropy); use objective: classification");
        if (rc.norm == Norm.RMS) throw c.err("axes.norm", "rms with arch conv; allowed: none, batch, group, layer");
        if (rc.skip == Skip.HIGHWAY || rc.skip == Skip.DEEPNORM)
            throw c.err("axes.skip", rc.skip + " with arch conv; allowed: none, residual, rezero, fixup");
        if (rc.skip == Skip.FIXUP && rc.norm != Norm.NONE)
            throw c.err(
                    "axes.norm",
                    rc.norm + " with skip fixup: Fixup trains residual nets without normalization; use none, or leave"
                            + " the pair out with exclude: [{skip: fixup, norm: " + rc.norm + "}]");
        int stages = rc.train.stages;
        if (rc.norm == Norm.GROUP && rc.width % rc.train.groups != 0)
            throw c.err(
                    "train.groups",
                    rc.train.groups + " does not divide width " + rc.width + " (group norm splits the channels into"
                            + " train.groups groups of equal size)");
        if (rc.depth < stages)
            throw c.err(
                    "axes.depth",
                    rc.depth + " with train.stages " + stages
                            + ": every stage needs a conv layer or block; use depth >= " + stages + " or fewer stages");
        int side = Math.min(shape[1], shape[2]), need = 1 << (stages - 1);
        if (side < need)
            throw c.err(
                    "train.stages",
                    stages + " halve the image " + (stages - 1) + " times: its side must be at least " + need + ", "
                            + (rc.task.kind == TaskSpec.Kind.TABLE ? "task.shape" : "task.size") + " gives "
                            + shape[1] + " x " + shape[2]);
    }

    private void checkTransformer(RunConfig rc) {
        String kind = rc.task.name();
        if (rc.cell.recurrent())
            throw c.err(
                    "axes.cell",
                    "cell " + rc.cell + " with arch transformer: a transformer has no recurrent cell; use none");
        if (!rc.task.kind.tokens())
            throw c.err(
                    "task.kind",
                    kind + " with arch transformer: a transformer needs a token task (reverse, sort, modadd or text)");
        if (rc.norm == Norm.BATCH) throw c.err("axes.norm", "batch with arch transformer; allowed: none, layer, rms");
        if (rc.skip == Skip.HIGHWAY)
            throw c.err("axes.skip", "highway with arch transformer; allowed: none, residual, rezero, deepnorm");
        if (rc.skip == Skip.DEEPNORM && rc.norm == Norm.NONE)
            throw c.err("axes.norm", "none with skip deepnorm: DeepNorm normalizes after the sum; use layer or rms");
        if (rc.skip == Skip.DEEPNORM && rc.placement != Placement.POST)
            throw c.err(
                    "axes.placement",
                    "pre with skip deepnorm: DeepNorm is a post-norm scheme, N(x·α + F(x)) (before no norm the stream would"
                            + " grow as α^depth); use post, or leave the pair"
                            + " out with exclude: [{skip: deepnorm, placement: pre}]");
        if (rc.width % rc.heads != 0)
            throw c.err("axes.heads", "heads " + rc.heads + " does not divide width " + rc.width);
        if (rc.positions == Positions.SINUSOIDAL && rc.width % 2 != 0)
            throw c.err(
                    "axes.positions",
                    "sinusoidal with width " + rc.width + ": the sin/cos pairs need an even width; use learned");
        if (rc.task.kind == TaskSpec.Kind.MODADD) {
            if (rc.seqLen != TaskSpec.MODADD_SEQ_LEN)
                throw c.err(
                        "axes.seq_len",
                        rc.seqLen + " with modadd: its context is the " + TaskSpec.MODADD_SEQ_LEN
                                + " tokens a + b =; remove seq_len");
            return;
        }
        if (rc.seqLen == 0)
            throw c.err("axes.seq_len", "missing: a transformer needs its context length, e.g. seq_len: [32]");
        if (rc.task.kind == TaskSpec.Kind.TEXT && textLength(rc.task.path) < rc.seqLen + 1)
            throw c.err(
                    "task.path",
                    rc.task.path + " has " + textLength(rc.task.path) + " characters; seq_len " + rc.seqLen
                            + " needs at least " + (rc.seqLen + 1) + " (a window and the character after it)");
    }

    /** The text's length in Unicode code points; a missing, unreadable, non-UTF-8 or empty file is an error. */
    private int textLength(String path) {
        Integer n = textLength.get(path);
        if (n != null) return n;
        Path p = Path.of(path);
        if (!Files.isRegularFile(p)) throw c.err("task.path", path + ": not found (or not a file)");
        String text;
        try {
            text = Files.readString(p, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw c.err("task.path", path + " is not UTF-8 text (" + e + ")");
        } catch (IOException e) {
            throw c.err("task.path", path + " cannot be read: " + e.getMessage());
        }
        if (text.isEmpty()) throw c.err("task.path", path + " is empty");
        n = text.codePointCount(0, text.length());
        textLength.put(path, n);
        return n;
    }
}
