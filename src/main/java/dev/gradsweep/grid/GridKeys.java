package dev.gradsweep.grid;

import static dev.gradsweep.grid.GridKeyTypes.enumParser;

import dev.gradsweep.grid.GridKeyTypes.ChoiceKey;
import dev.gradsweep.grid.GridKeyTypes.IntKey;
import dev.gradsweep.grid.GridKeyTypes.Key;
import dev.gradsweep.grid.GridKeyTypes.NumKey;
import dev.gradsweep.grid.GridKeyTypes.Section;
import dev.gradsweep.grid.GridKeyTypes.StructKey;
import dev.gradsweep.grid.GridKeyTypes.TextKey;
import java.util.Collections;
import java.util.List;

/**
 * Every key of a grid file, declared once with its type, allowed values or range, default and documentation. The
 * parser ({@link GridSpec}), {@code gradsweep sweep --help} and the table in docs/grid.md all read these
 * declarations, so none of them can disagree with another.
 */
public final class GridKeys {
    static final int MAX_DEPTH = 2000,
            MAX_WIDTH = 8192,
            MAX_STEPS = 10_000_000,
            MAX_BATCH = 1 << 16,
            MAX_SAMPLES = 100_000_000,
            MAX_INPUTS = 1 << 20,
            MAX_RUNS = 1_000_000,
            MAX_SEQ_LEN = 100_000,
            MAX_VOCAB = 1 << 16,
            MAX_P = 1000,
            MAX_IMAGE_SIZE = 256,
            MAX_CHANNELS = 64,
            MAX_FFN = 64,
            MAX_STAGES = 6;
    static final double MAX_LR = 100, MAX_GATE_BIAS = 20;

    // --- top level -----------------------------------------------------------------------------------------------
    public static final TextKey NAME = new TextKey(
            Section.TOP,
            "name",
            "letters, digits, '.', '_', '-'",
            "sweep name; the output goes to results/<name> unless --out says otherwise");
    public static final StructKey TASK =
            new StructKey(Section.TOP, "task", "mapping", null, "the training data (task.* below)");
    public static final StructKey TRAIN =
            new StructKey(Section.TOP, "train", "mapping", null, "how every run trains (train.* below)");
    public static final StructKey SEEDS = new StructKey(
            Section.TOP,
            "seeds",
            "list of integers",
            "[1]",
            "one run per seed and configuration; seeds are replicates, not an axis");
    public static final StructKey AXES = new StructKey(
            Section.TOP,
            "axes",
            "mapping",
            null,
            "axis -> list of values; the runs are their cartesian product (axes.* below)");
    public static final StructKey MODEL = new StructKey(
            Section.TOP,
            "model",
            "mapping {class: <name>}",
            "none (gradsweep's own nets)",
            "a user's network factory instead of the built-in architectures: a class implementing"
                    + " dev.gradsweep.api.ModelFactory, on the classpath (--jars); docs/api.md");
    public static final StructKey EXCLUDE = new StructKey(
            Section.TOP,
            "exclude",
            "list of mappings",
            "[]",
            "combinations to leave out, e.g. [{norm: none, placement: post}]");

    // --- task ----------------------------------------------------------------------------------------------------
    public static final ChoiceKey<TaskSpec.Kind> TASK_KIND = new ChoiceKey<>(
            Section.TASK,
            "kind",
            GridKeyTypes.names(TaskSpec.Kind.class),
            enumParser(TaskSpec.Kind.class),
            null,
            null,
            "teacher: regression on a random tanh teacher MLP; gauss: random x and y; spirals: two-spiral classification;"
                    + " parity: n-bit parity; table: a Parquet or CSV file; adding: sum of the two marked values of a sequence;"
                    + " copy: recall 3 symbols of 4 after seq_len steps (adding and copy: recurrent cells only, fresh samples every step);"
                    + " reverse, sort: a sequence of seq_len tokens reversed or sorted; modadd: (a + b) mod p; text: next character"
                    + " of a UTF-8 file (reverse, sort, modadd, text: arch transformer only, fresh sequences every step);"
                    + " bars: the orientation of a bar in an image (4 classes); teacher_cnn: classes of random images"
                    + " labelled by a random teacher CNN (bars, teacher_cnn: images of channels x size x size)");
    public static final IntKey TASK_INPUTS = new IntKey(
            Section.TASK,
            "inputs",
            1,
            MAX_INPUTS,
            16,
            "16 (parity: 8 bits, at most 30)",
            "input features (teacher, gauss), bits (parity); spirals has 2; a table's come from the file");
    public static final IntKey TASK_OUTPUTS = new IntKey(
            Section.TASK,
            "outputs",
            1,
            MAX_INPUTS,
            1,
            null,
            "regression targets (teacher, gauss); classes (teacher_cnn, default 10); other classification tasks have"
                    + " their classes");
    public static final IntKey TASK_SAMPLES = new IntKey(
            Section.TASK,
            "samples",
            1,
            MAX_SAMPLES,
            2048,
            "2048 (table: every row)",
            "training examples, generated deterministically from the seed");
    public static final TextKey TASK_PATH = new TextKey(
            Section.TASK,
            "path",
            "a Parquet file or folder, or a .csv file (table); a UTF-8 text file (text)",
            "table: the data file; text: the text, read as characters (Unicode code points), the vocabulary its distinct"
                    + " characters, at least seq_len + 1 of them");
    public static final TextKey TASK_LABEL =
            new TextKey(Section.TASK, "label", "a column of the file", "table only: the target column");
    public static final StructKey TASK_FEATURES = new StructKey(
            Section.TASK, "features", "list of columns", "every other column", "table only: the feature columns");
    public static final ChoiceKey<TaskSpec.Objective> TASK_OBJECTIVE = new ChoiceKey<>(
            Section.TASK,
            "objective",
            GridKeyTypes.names(TaskSpec.Objective.class),
            enumParser(TaskSpec.Objective.class),
            TaskSpec.Objective.REGRESSION,
            "regression",
            "table only: regression (MSE) or classification (softmax + cross-entropy over the label's values)");
    public static final StructKey TASK_SHAPE = new StructKey(
            Section.TASK,
            "shape",
            "list of 3 integers",
            "none (flat rows)",
            "table only: [channels, height, width] of an image row (arch conv); the feature columns, in the file's"
                    + " order or the order of features, fill it row-major, so their count must be channels x height x width");
    public static final IntKey TASK_VOCAB = new IntKey(
            Section.TASK,
            "vocab",
            2,
            MAX_VOCAB,
            10,
            null,
            "reverse and sort only: the alphabet; tokens are drawn uniformly and independently from 0 … vocab − 1");
    public static final IntKey TASK_P = new IntKey(
            Section.TASK, "p", 2, MAX_P, 97, null, "modadd only: the modulus p; a, b and the answer are 0 … p − 1");
    public static final NumKey TASK_TRAIN_FRACTION = new NumKey(
            Section.TASK,
            "train_fraction",
            0,
            1,
            true,
            0.5,
            null,
            "modadd only: the share of the p² pairs (a, b) trained on, a fixed split by the seed; the rest are held out");
    public static final IntKey TASK_EVAL_EVERY = new IntKey(
            Section.TASK,
            "eval_every",
            0,
            MAX_STEPS,
            100,
            null,
            "modadd only: every this many steps (from step 0, and at the last step) the loss on every held-out pair is"
                    + " recorded in steps.heldout_loss, without an update; 0 never");

    public static final IntKey TASK_SIZE = new IntKey(
            Section.TASK,
            "size",
            4,
            MAX_IMAGE_SIZE,
            16,
            null,
            "bars and teacher_cnn only: the images' height and width in pixels");
    public static final IntKey TASK_CHANNELS = new IntKey(
            Section.TASK,
            "channels",
            1,
            MAX_CHANNELS,
            1,
            null,
            "bars and teacher_cnn only: the images' channels; an image fills channels x size x size inputs, row-major");

    // --- train ---------------------------------------------------------------------------------------------------
    public static final IntKey STEPS =
            new IntKey(Section.TRAIN, "steps", 1, MAX_STEPS, 300, null, "training steps (minibatches) per run");
    public static final IntKey BATCH = new IntKey(
            Section.TRAIN,
            "batch",
            1,
            MAX_BATCH,
            64,
            null,
            "minibatch size (the default of axes.batch); at most task.samples, at least 2 with norm: batch");
    public static final ChoiceKey<TrainSpec.Optimizer> OPTIMIZER = new ChoiceKey<>(
            Section.TRAIN,
            "optimizer",
            GridKeyTypes.names(TrainSpec.Optimizer.class),
            enumParser(TrainSpec.Optimizer.class),
            TrainSpec.Optimizer.SGD,
            "sgd",
            "the default of axes.optimizer");
    public static final NumKey LR =
            new NumKey(Section.TRAIN, "lr", 0, MAX_LR, true, 0.05, null, "learning rate (the default of axes.lr)");
    public static final ChoiceKey<String> CLIP = new ChoiceKey<>(
                    Section.TRAIN,
                    "clip",
                    "none, norm:<c>, value:<c> with c > 0",
                    TrainSpec::parseClip,
                    "none",
                    "none",
                    "gradient clipping: by the global L2 norm, or element-wise (the default of axes.clip)")
            .calling("clipping rule");
    public static final ChoiceKey<TrainSpec.DType> DTYPE = new ChoiceKey<>(
            Section.TRAIN,
            "dtype",
            GridKeyTypes.names(TrainSpec.DType.class),
            enumParser(TrainSpec.DType.class),
            TrainSpec.DType.FLOAT32,
            "float32",
            "floating-point type of training (statistics always accumulate in double)");
    public static final IntKey WARMUP = new IntKey(
            Section.TRAIN,
            "warmup",
            0,
            MAX_STEPS,
            0,
            null,
            "linear learning-rate warmup over this many steps (at most train.steps); steps.lr records the rate used");
    public static final NumKey HIGHWAY_GATE_BIAS = new NumKey(
            Section.TRAIN,
            "highway_gate_bias",
            -MAX_GATE_BIAS,
            MAX_GATE_BIAS,
            false,
            TrainSpec.DEFAULT_HIGHWAY_GATE_BIAS,
            null,
            "initial bias of highway transform gates (negative: blocks start near the identity)");
    public static final NumKey FORGET_BIAS = new NumKey(
            Section.TRAIN,
            "forget_bias",
            -MAX_GATE_BIAS,
            MAX_GATE_BIAS,
            false,
            TrainSpec.DEFAULT_FORGET_BIAS,
            null,
            "initial bias of LSTM forget gates (cell: lstm only; positive: the cell state is kept)");
    public static final IntKey FFN = new IntKey(
            Section.TRAIN,
            "ffn",
            1,
            MAX_FFN,
            TrainSpec.DEFAULT_FFN,
            null,
            "arch transformer only: the feed-forward sublayer's width multiplier (width → ffn·width → width)");
    public static final IntKey STAGES = new IntKey(
            Section.TRAIN,
            "stages",
            1,
            MAX_STAGES,
            TrainSpec.DEFAULT_STAGES,
            null,
            "arch conv only: stages of 3x3 convolutions, channels width·2^s, stride 2 at the first unit of every stage"
                    + " after the first; depth >= stages, image side >= 2^(stages-1)");
    public static final IntKey GROUPS = new IntKey(
            Section.TRAIN,
            "groups",
            1,
            MAX_WIDTH,
            TrainSpec.DEFAULT_GROUPS,
            null,
            "arch conv with norm group only: group norm's G, channel groups normalized together; it must divide width");

    // --- axes, in expansion order (outermost first; seeds vary fastest) -----------------------------------------
    public static final IntKey DEPTH = new IntKey(
            Section.AXES,
            "depth",
            1,
            MAX_DEPTH,
            null,
            null,
            "hidden layers (plain nets), blocks (skip != none, arch transformer) or stacked recurrent layers (cell != none)");
    public static final IntKey WIDTH = new IntKey(
            Section.AXES,
            "width",
            1,
            MAX_WIDTH,
            null,
            null,
            "units per hidden layer (recurrent cells: the hidden size; transformers: the model width d)");
    public static final ChoiceKey<Activation> ACTIVATION = new ChoiceKey<>(
                    Section.AXES,
                    "activation",
                    Activation.allowed(),
                    Activation::parse,
                    null,
                    null,
                    "hidden activation f (cell rnn: " + Cell.RNN_ACTIVATIONS
                            + "; lstm and gru: tanh, recorded as such; transformers: in the feed-forward sublayer)")
            .calling("activation");
    public static final ChoiceKey<Init> INIT = new ChoiceKey<>(
                    Section.AXES,
                    "init",
                    Init.ALLOWED,
                    Init::parse,
                    null,
                    null,
                    "weight initializer (biases start at 0; recurrent cells: the input and output weights)")
            .calling("initializer");
    public static final ChoiceKey<Norm> NORM = new ChoiceKey<>(
            Section.AXES,
            "norm",
            GridKeyTypes.names(Norm.class),
            enumParser(Norm.class),
            Norm.NONE,
            "none",
            "normalization: batch (BatchNormalization; arch conv: per channel), layer (layer norm with gain and bias),"
                    + " rms (RMSNorm with gain; not arch conv) or group (group norm over train.groups groups of channels;"
                    + " arch conv only)");
    public static final ChoiceKey<Placement> PLACEMENT = new ChoiceKey<>(
            Section.AXES,
            "placement",
            "pre, post",
            Placement::parse,
            Placement.PRE,
            "pre",
            "pre: x + F(N(x)), post: N(x + F(x)); only with a norm inside a skip block or a transformer block"
                    + " (arch conv: with a norm or a skip, post the original ResNet, pre the pre-activation one),"
                    + " elsewhere recorded as n/a");
    public static final ChoiceKey<Skip> SKIP = new ChoiceKey<>(
            Section.AXES,
            "skip",
            GridKeyTypes.names(Skip.class),
            enumParser(Skip.class),
            Skip.NONE,
            "none",
            "skip connection: residual x + F(x), highway H·T + x·(1 − T), rezero x + α·F(x), deepnorm N(x·(2·depth)^¼ + F(x))"
                    + " (arch transformer, placement post), fixup (arch conv, norm none: residual blocks initialised by"
                    + " Fixup)");
    public static final ChoiceKey<TrainSpec.Optimizer> OPTIMIZER_AXIS = new ChoiceKey<>(
            Section.AXES, "optimizer", OPTIMIZER.allowed, OPTIMIZER.parser, null, "train.optimizer", "optimizer");
    public static final NumKey LR_AXIS =
            new NumKey(Section.AXES, "lr", 0, MAX_LR, true, null, "train.lr", "learning rate");
    public static final IntKey BATCH_AXIS =
            new IntKey(Section.AXES, "batch", 1, MAX_BATCH, null, "train.batch", "minibatch size");
    public static final ChoiceKey<String> CLIP_AXIS = new ChoiceKey<>(
                    Section.AXES, "clip", CLIP.allowed, CLIP.parser, null, "train.clip", "gradient clipping")
            .calling("clipping rule");
    public static final ChoiceKey<Cell> CELL = new ChoiceKey<>(
                    Section.AXES,
                    "cell",
                    GridKeyTypes.names(Cell.class),
                    Cell::parse,
                    Cell.NONE,
                    "none",
                    "none: feed-forward nets; rnn (activation f), lstm, gru: depth stacked recurrent layers of width units over seq_len steps"
                            + " (needs task.kind adding or copy; norm and skip must be none)")
            .calling("cell");
    public static final IntKey SEQ_LEN = new IntKey(
            Section.AXES,
            "seq_len",
            1,
            MAX_SEQ_LEN,
            null,
            "n/a (required with cell != none, arch transformer)",
            "sequence length T of a recurrent run, the context length of a transformer (modadd: 4, a + b =);"
                    + " recorded as null for the others");
    public static final ChoiceKey<RecInit> REC_INIT = new ChoiceKey<>(
                    Section.AXES,
                    "rec_init",
                    RecInit.ALLOWED,
                    RecInit::parse,
                    RecInit.parse("orthogonal"),
                    "orthogonal",
                    "recurrent weights W_h per gate block: orthogonal, identity (IRNN), normal:<sigma> (N(0, sigma^2/H)), spectral:<rho>"
                            + " (spectral radius exactly rho); recorded as n/a for cell none")
            .calling("recurrent initializer");
    public static final ChoiceKey<Arch> ARCH = new ChoiceKey<>(
                    Section.AXES,
                    "arch",
                    Arch.ALLOWED,
                    Arch::parse,
                    Arch.MLP,
                    "mlp",
                    "mlp: feed-forward nets (recurrent ones under cell); transformer: token embedding + positions, depth"
                            + " blocks of self-attention and feed-forward sublayers, linear head (needs a token task);"
                            + " conv: a 3x3 conv stem, depth conv layers or blocks over train.stages stages, global"
                            + " average pooling, linear head (needs an image task or task.shape)")
            .calling("architecture");
    public static final IntKey HEADS = new IntKey(
            Section.AXES,
            "heads",
            1,
            MAX_WIDTH,
            1,
            "1 (arch transformer; n/a for mlp)",
            "attention heads of a transformer block; they must divide width (head size width / heads)");
    public static final ChoiceKey<Positions> POSITIONS = new ChoiceKey<>(
            Section.AXES,
            "positions",
            GridKeyTypes.names(Positions.class),
            enumParser(Positions.class),
            Positions.LEARNED,
            "learned",
            "position encoding of a transformer: learned (a trained seq_len × width table) or sinusoidal (fixed);"
                    + " recorded as n/a for arch mlp");

    public static final StructKey CUSTOM = new StructKey(
            Section.AXES,
            "custom",
            "mapping name -> list",
            "{}",
            "model only: the user's own axes, e.g. custom: {dropout: [0.1, 0.3]}; each value (a number, word or"
                    + " true/false) reaches the factory and the runs table's custom column");

    private GridKeys() {}

    public static List<Key<?>> all() {
        return Collections.unmodifiableList(GridKeyTypes.ALL);
    }

    public static List<Key<?>> in(Section s) {
        return GridKeyTypes.ALL.stream().filter(k -> k.section == s).toList();
    }

    /** Key names of a section, in declaration order. */
    public static List<String> names(Section s) {
        return in(s).stream().map(k -> k.name).toList();
    }

    /** The docs table (docs/grid.md, between the grid-keys markers). */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| key | type | allowed | default | meaning |\n|---|---|---|---|---|\n");
        for (Key<?> k : GridKeyTypes.ALL)
            sb.append("| `")
                    .append(k.path())
                    .append("` | ")
                    .append(k.type)
                    .append(" | ")
                    .append(k.allowed.replace("|", "\\|"))
                    .append(" | ")
                    .append(k.defaultText == null ? "required" : "`" + k.defaultText + "`")
                    .append(" | ")
                    .append(k.doc)
                    .append(" |\n");
        return sb.toString();
    }

    /** One line per key for {@code sweep --help}. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        for (Key<?> k : GridKeyTypes.ALL)
            sb.append(String.format(
                    "  %-24s %s%s%n",
                    k.path(),
                    k.defaultText == null ? "(required) " : "(default " + k.defaultText + ") ",
                    k.doc + (k.allowed.isEmpty() || k.type.equals("text") ? "" : "; " + k.allowed)));
        return sb.toString();
    }
}
