package dev.gradsweep.stats;

import dev.gradsweep.grid.Activation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.controlflow.Select;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The backend-independent path: every reduction is an ND4J op on the device, with the values cast to double there
 * before anything is squared or summed (float32 squares of 1e-20 gradients underflow), and parameter arrays of equal
 * shape are reduced together as the rows of one strided view, so a step costs a few ops per kind of parameter array,
 * not per array. The results wait on the device until {@link #sync()}, which concatenates them and
 * brings them to the host in one transfer: O(parameter arrays + recorded layers × units) values per step, never a
 * buffer. Writes go through ND4J (arrays created from Java data, then {@code assign}), which keeps host and device
 * copies consistent on any backend; the parameter step is ND4J's {@code subi}.
 */
final class PortableMemory implements TrainingMemory {
    /** Receives a deferred result: its values start at {@code at} of the transferred vector. */
    private interface Sink {
        void take(double[] v, int at);
    }

    private final List<INDArray> pending = new ArrayList<>();
    private final List<Sink> sinks = new ArrayList<>();
    /** The arrays behind {@link #pending}, closed once {@link #sync()} has read them. */
    private final Temps results = new Temps();

    private long transfers;
    /** The last {@link #gradient} call's segments, scale and per-group Σg² (unscaled, on the device), for clipping. */
    private Segment[] lastSegs;

    private double lastScale;
    private final List<GroupSumSq> lastSumSq = new ArrayList<>();

    private record GroupSumSq(Group group, INDArray sumSq) {}
    /** Segment groups of the layouts seen, by fingerprint; an engine sees one or a few. */
    private final Map<String, List<Group>> groups = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Group>> e) {
            return size() > 8;
        }
    };

    @Override
    public String name() {
        return "portable";
    }

    /**
     * Segments of equal length whose offsets step evenly (a layer's W across a stack's runs, every hidden layer's b
     * of a net, …), each group reduced as one [count, length] strided view of the flat buffer: a handful of groups per
     * network, whatever its number of parameter arrays. (ND4J's segment_sum and gather cost microseconds per element
     * on the CPU backend: unusable here.)
     */
    private record Group(long offset, long count, long stride, long length, int[] segs) {
        /** The group's [count, length] view of a flat buffer (writes through it reach the buffer). */
        INDArray view(INDArray flat) {
            INDArray span = flat.reshape(new long[] {flat.length()})
                    .get(NDArrayIndex.interval(offset, offset + count * stride));
            INDArray rows = span.reshape('c', new long[] {count, stride});
            return stride == length ? rows : rows.get(NDArrayIndex.all(), NDArrayIndex.interval(0, length));
        }

        /** The same as a double array on the device, a temporary of {@code t}. */
        INDArray of(INDArray flat, Temps t) {
            return t.of(t.toDouble(view(flat)).dup('c'));
        }
    }

    /**
     * The temporaries of one call (or of one group of it), closed when it returns. ND4J frees an array's native memory only when Java collects
     * the array, and these are small Java objects that fill no heap: one call over a stack of 32 wide nets made ~3 GB
     * of them, so a process grew by GBs per step until a collection came (docs/performance.md, memory). Only arrays
     * an op allocated are registered, never a view of a caller's buffer.
     */
    static final class Temps implements AutoCloseable {
        private final List<INDArray> made = new ArrayList<>();

        INDArray of(INDArray fresh) {
            made.add(fresh);
            return fresh;
        }

        /** {@code a} as double: a registered copy, or {@code a} itself (not registered) when it is double already. */
        INDArray toDouble(INDArray a) {
            return a.dataType() == DataType.DOUBLE ? a : of(a.castTo(DataType.DOUBLE));
        }

        @Override
        public void close() {
            for (INDArray a : made) if (a.closeable()) a.close();
            made.clear();
        }
    }

    private List<Group> groups(INDArray flat, Segment[] segs) {
        StringBuilder key = new StringBuilder().append(flat.length());
        for (Segment s : segs) key.append(',').append(s.offset).append('+').append(s.length);
        return groups.computeIfAbsent(key.toString(), k -> group(flat.length(), segs));
    }

    /** Greedy: segments by length then offset, each group as long as the offsets keep one step and fit the buffer. */
    static List<Group> group(long n, Segment[] segs) {
        Integer[] order = new Integer[segs.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(
                order,
                (a, b) -> segs[a].length != segs[b].length
                        ? Integer.compare(segs[a].length, segs[b].length)
                        : Integer.compare(segs[a].offset, segs[b].offset));
        List<Group> out = new ArrayList<>();
        for (int at = 0; at < order.length; ) {
            Segment first = segs[order[at]];
            int end = at + 1;
            long stride = first.length;
            if (end < order.length && segs[order[end]].length == first.length)
                stride = segs[order[end]].offset - first.offset;
            while (end < order.length
                    && segs[order[end]].length == first.length
                    && segs[order[end]].offset == first.offset + (end - at) * stride
                    && first.offset + (end - at + 1) * stride <= n) end++;
            if (end == at + 1) stride = first.length; // alone: a plain [1, length] view
            int[] members = new int[end - at];
            for (int m = 0; m < members.length; m++) members[m] = order[at + m];
            out.add(new Group(first.offset, members.length, stride, first.length, members));
            at = end;
        }
        return out;
    }

    private void defer(INDArray result, Sink sink) {
        pending.add(result.reshape('c', new long[] {result.length()}));
        sinks.add(sink);
        results.of(result); // every deferred result is an op's own array
    }

    @Override
    public void gradient(INDArray grad, INDArray params, Segment[] segs, double scale, ParamStats[] into) {
        lastSegs = segs;
        lastScale = scale;
        lastSumSq.clear();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
                Temps t = new Temps()) {
            for (Group gr : groups(grad, segs)) {
                INDArray g = gr.of(grad, t), abs = t.of(Transforms.abs(g, true));
                List<INDArray> sums = new ArrayList<>(List.of(
                        g.sum(1),
                        t.of(g.mul(g)).sum(1),
                        abs.sum(1),
                        t.toDouble(t.of(g.eq(0.0))).sum(1),
                        t.toDouble(t.of(abs.lt(Double.POSITIVE_INFINITY)))
                                .sum(1))); // finite elements: NaN compares false
                BooleanIndexing.replaceWhere(abs, 0.0, Conditions.isNan()); // NaN never wins the max, as on the host
                sums.add(abs.max(1));
                lastSumSq.add(new GroupSumSq(gr, sums.get(1)));
                if (params != null) {
                    INDArray p = gr.of(params, t);
                    sums.add(t.of(p.mul(p)).sum(1));
                }
                int c = sums.size(), count = (int) gr.count();
                defer(Nd4j.vstack(sums.stream().map(x -> x.reshape(1, count)).toArray(INDArray[]::new)), (v, at) -> {
                    for (int m = 0; m < count; m++) {
                        int i = gr.segs()[m];
                        ParamStats s = into[i];
                        s.reset();
                        s.count = segs[i].length;
                        s.sum = v[at + m] * scale;
                        s.sumSq = v[at + count + m] * (scale * scale);
                        s.sumAbs = v[at + 2 * count + m] * scale;
                        s.zeros = (long) v[at + 3 * count + m];
                        s.nonfinite = segs[i].length - (long) v[at + 4 * count + m];
                        s.maxAbs = v[at + 5 * count + m] * scale;
                        if (c > 6) s.paramSumSq = v[at + 6 * count + m];
                    }
                });
                t.close(); // this group's temporaries, before the next group's are made
            }
        }
    }

    /** Σx² of each group member, in double, into sink(i, value). */
    private void groupSumSq(INDArray flat, Segment[] segs, java.util.function.ObjIntConsumer<Double> sink) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
                Temps t = new Temps()) {
            for (Group gr : groups(flat, segs)) {
                INDArray x = gr.of(flat, t);
                defer(t.of(x.mul(x)).sum(1), (v, at) -> {
                    for (int m = 0; m < gr.segs().length; m++) sink.accept(v[at + m], gr.segs()[m]);
                });
                t.close();
            }
        }
    }

    @Override
    public void update(INDArray update, Segment[] segs, ParamStats[] into) {
        groupSumSq(update, segs, (v, i) -> into[i].updateSumSq += v);
    }

    @Override
    public void sumSq(INDArray flat, Segment[] segs, double[] into) {
        groupSumSq(flat, segs, (v, i) -> into[i] = v);
    }

    @Override
    public void sumSq(INDArray a, double[] into, int k) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
                Temps t = new Temps()) {
            INDArray x = t.toDouble(a);
            defer(t.of(x.mul(x)).sum(), (v, at) -> into[k] = v[at]);
        }
    }

    @Override
    public void activations(INDArray a, int groups, Activation fn, ActStats[] into) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
                Temps t = new Temps()) {
            int units = (int) a.size(1);
            long rows = a.size(0) / groups;
            INDArray x = t.toDouble(a).reshape('c', new long[] {groups, rows, units});
            defer(x.sum(1, 2), (v, at) -> {
                for (int g = 0; g < groups; g++) {
                    into[g].count += rows * units;
                    into[g].sum += v[at + g];
                }
            });
            defer(t.of(x.mul(x)).sum(1, 2), (v, at) -> {
                for (int g = 0; g < groups; g++) into[g].sumSq += v[at + g];
            });
            defer(t.toDouble(t.of(x.eq(0.0))).sum(1), (v, at) -> { // [groups, units]: zeros per unit
                for (int g = 0; g < groups; g++) {
                    ActStats s = into[g];
                    for (int u = 0; u < units; u++) {
                        double z = v[at + g * units + u];
                        s.zeros += (long) z;
                        s.allZero[u] &= z == rows;
                    }
                }
            });
            if (into[0].hasSaturation) {
                double[] mh = ActStats.unsaturatedMidHalf(fn);
                INDArray unsaturated = t.toDouble(
                                t.of(Transforms.abs(t.of(x.sub(mh[0])), false).lt(mh[1])))
                        .sum(1, 2);
                defer(unsaturated, (v, at) -> {
                    for (int g = 0; g < groups; g++) into[g].saturated += rows * units - (long) v[at + g];
                });
            }
            INDArray slope = slope(x, fn, t);
            if (slope != null)
                defer(slope.muli(slope).sum(1, 2), (v, at) -> {
                    for (int g = 0; g < groups; g++)
                        into[g].slopeSqSum =
                                Double.isNaN(into[g].slopeSqSum) ? v[at + g] : into[g].slopeSqSum + v[at + g];
                });
        }
    }

    /** Values per concatenation: the reductions' double temporaries stay a few tens of MB (a stack of wide layers is GBs). */
    static final long CONCAT_VALUES = 1L << 22;

    /** One reduction for as many of them as {@link #CONCAT_VALUES} allows: the arrays stacked along their rows. */
    @Override
    public void activations(INDArray[] arrays, int groups, Activation fn, ActStats[] into) {
        int per = (int) Math.max(1, Math.min(arrays.length, CONCAT_VALUES / Math.max(1, arrays[0].length())));
        for (int from = 0; from < arrays.length; from += per) {
            int to = Math.min(arrays.length, from + per);
            ActStats[] part = Arrays.copyOfRange(into, from * groups, to * groups);
            if (to - from == 1) {
                activations(arrays[from], groups, fn, part);
                continue;
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
                    Temps t = new Temps()) {
                activations(t.of(Nd4j.concat(0, Arrays.copyOfRange(arrays, from, to))), (to - from) * groups, fn, part);
            }
        }
    }

    /** f'(z) from a = f(z), elementwise as {@link ActStats} computes it on the host; null where a does not determine it. */
    private static INDArray slope(INDArray x, Activation fn, Temps t) {
        ActStats.Slope s = ActStats.Slope.of(fn);
        if (s == ActStats.Slope.NONE) return null;
        if (s.act == null) {
            if (s.step) return select(t.of(x.gt(0.0)), full(x, 1, t), full(x, s.c0, t), t);
            return t.of(x.mul(s.c2)).addi(s.c1).muli(x).addi(s.c0); // c0 + a·(c1 + c2·a), the host's operation order
        }
        switch (fn) {
            case ELU:
                return select(t.of(x.gt(0.0)), full(x, 1, t), t.of(x.add(1.0)), t);
            case SELU:
                return select(
                        t.of(x.gt(0.0)),
                        full(x, Activation.SELU_LAMBDA, t),
                        t.of(x.add(Activation.SELU_LAMBDA * Activation.SELU_ALPHA)),
                        t);
            case SOFTSIGN: {
                INDArray a = t.of(Transforms.abs(x, true)).rsubi(1.0);
                return a.muli(a);
            }
            case SOFTPLUS:
                return Transforms.expm1(t.of(x.neg()), false).negi();
            case HARDSIGMOID:
                return select(or(x, 0.0, 1.0, t), full(x, 0, t), full(x, 0.2, t), t);
            case HARDTANH:
                return select(or(x, -1.0, 1.0, t), full(x, 0, t), full(x, 1, t), t);
            case RELU6:
                return select(or(x, 0.0, 6.0, t), full(x, 0, t), full(x, 1, t), t);
            default:
                throw new IllegalArgumentException("no device slope for " + fn);
        }
    }

    /** x ≤ lo or x ≥ hi, elementwise. */
    private static INDArray or(INDArray x, double lo, double hi, Temps t) {
        return t.of(Transforms.or(t.of(x.lte(lo)), t.of(x.gte(hi))));
    }

    private static INDArray full(INDArray like, double v, Temps t) {
        return t.of(Nd4j.valueArrayOf(like.shape(), v, DataType.DOUBLE));
    }

    /** cond ? a : b elementwise. */
    private static INDArray select(INDArray cond, INDArray a, INDArray b, Temps t) {
        INDArray out = t.of(Nd4j.create(DataType.DOUBLE, a.shape()));
        Nd4j.exec(new Select(new INDArray[] {cond, a, b}, new INDArray[] {out}));
        return out;
    }

    @Override
    public void read(INDArray a, double[] into) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            // a copy: the array may change before sync()
            defer(a.castTo(DataType.DOUBLE).dup('c'), (v, at) -> System.arraycopy(v, at, into, 0, (int) a.length()));
        }
    }

    @Override
    public void sync() {
        if (pending.isEmpty()) return;
        double[] v;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray all = pending.size() == 1 ? pending.get(0) : Nd4j.concat(0, pending.toArray(new INDArray[0]));
            // the one device-to-host transfer of the step's results
            Nd4j.getAffinityManager().ensureLocation(all, AffinityManager.Location.HOST);
            v = all.toDoubleVector();
            transfers++;
            if (pending.size() > 1) all.close();
        }
        int at = 0;
        for (int i = 0; i < sinks.size(); i++) {
            sinks.get(i).take(v, at);
            at += (int) pending.get(i).length();
        }
        pending.clear();
        sinks.clear();
        results.close();
    }

    @Override
    public long transfers() {
        return transfers;
    }

    /**
     * On the device, from the last gradient call's Σg² rows s (one value per segment): with M the [segments, sets + 1]
     * membership matrix (a last column for the segments no set holds, whose factor is 1), the sets' norms are
     * sqrt(scale² s·M), their factors f = min(bound / norm, 1) (= bound / norm exactly when norm > bound), and each
     * segment's factor f·Mᵀ, exact since each row of M holds a single 1; then one broadcast multiply per group.
     */
    @Override
    public void clipByNorm(INDArray grad, Segment[][] sets, double[] bound) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
                Temps t = new Temps()) {
            Map<Segment, Integer> pos = new java.util.IdentityHashMap<>();
            INDArray[] rows = new INDArray[lastSumSq.size()];
            int n = 0;
            for (int g = 0; g < rows.length; g++) {
                GroupSumSq r = lastSumSq.get(g);
                rows[g] = r.sumSq().reshape(1, r.group().count());
                for (int m : r.group().segs()) pos.put(lastSegs[m], n++);
            }
            int cols = sets.length + 1;
            double[] member = new double[n * cols];
            boolean[] held = new boolean[n];
            for (int j = 0; j < sets.length; j++)
                for (Segment s : sets[j]) {
                    Integer p = pos.get(s);
                    if (p == null)
                        throw new IllegalStateException(
                                s.layerName + "_" + s.param + " was not in the last gradient reduction");
                    member[p * cols + j] = 1;
                    held[p] = true;
                }
            for (int p = 0; p < n; p++) if (!held[p]) member[p * cols + sets.length] = 1;
            INDArray m = Nd4j.createFromArray(member).reshape(n, cols);
            INDArray sq = (rows.length == 1 ? rows[0] : Nd4j.hstack(rows)).mul(lastScale * lastScale);
            // 0 · ∞ = NaN in the product would spread one run's non-finite Σg² to every set: sum the finite values,
            // then give a set ∞ or NaN as the host's sum would (NaN wins)
            INDArray nan = sq.isNaN().castTo(DataType.DOUBLE).mmul(m),
                    inf = sq.isInfinite().castTo(DataType.DOUBLE).mmul(m);
            INDArray finite = sq.dup();
            BooleanIndexing.replaceWhere(finite, 0.0, Conditions.isNan());
            BooleanIndexing.replaceWhere(finite, 0.0, Conditions.isInfinite());
            INDArray total = select(
                    nan.gt(0.0),
                    full(nan, Double.NaN, t),
                    select(inf.gt(0.0), full(inf, Double.POSITIVE_INFINITY, t), finite.mmul(m), t),
                    t);
            INDArray norm = Transforms.sqrt(total, false);
            double[] b = Arrays.copyOf(bound, cols);
            b[sets.length] = Double.POSITIVE_INFINITY;
            INDArray f = Transforms.min(Nd4j.createFromArray(b).reshape(1, cols).divi(norm), 1.0, false);
            // a non-finite norm ends its run, and the host path gives it factor 1; NaN must not reach the others' rows
            BooleanIndexing.replaceWhere(f, 1.0, Conditions.isNan());
            INDArray perSegment = f.mmul(m.transpose()).castTo(grad.dataType()).reshape(n);
            int at = 0;
            for (GroupSumSq r : lastSumSq) {
                int count = (int) r.group().count();
                INDArray col =
                        perSegment.get(NDArrayIndex.interval(at, at + count)).reshape(count, 1);
                r.group().view(grad).muliColumnVector(col);
                at += count;
            }
        }
    }

    @Override
    public ParamStep paramStep(INDArray params, INDArray update) {
        return ParamStep.nd4j(params, update);
    }

    @Override
    public void writeRows(INDArray target, double[] src, int[] order, int from, int rows, int cols) {
        INDArray batch;
        if (target.dataType() == DataType.DOUBLE) {
            double[] b = new double[rows * cols];
            for (int r = 0; r < rows; r++) System.arraycopy(src, order[from + r] * cols, b, r * cols, cols);
            batch = Nd4j.createFromArray(b);
        } else {
            float[] b = new float[rows * cols];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) b[r * cols + c] = (float) src[order[from + r] * cols + c];
            batch = Nd4j.createFromArray(b);
        }
        try (Temps t = new Temps()) { // the fresh copies, freed now rather than by a collection
            INDArray cast = t.of(batch);
            if (batch.dataType() != target.dataType()) cast = t.of(batch.castTo(target.dataType()));
            target.assign(cast.reshape('c', new long[] {rows, cols}));
        }
    }

    @Override
    public void scale(INDArray x, RunFactors f, INDArray minuend) {
        if (f.perElement == null) {
            f.perElement = Nd4j.create(x.dataType(), x.length());
            f.written = new double[f.runs.length];
            Arrays.fill(f.written, Double.NaN);
        }
        for (int r = 0; r < f.runs.length; r++)
            if (Double.compare(f.written[r], f.value[r]) != 0) {
                fill(f.perElement, f.runs[r], f.value[r]);
                f.written[r] = f.value[r];
            }
        x.muli(f.perElement);
        if (minuend != null) minuend.subi(x);
    }

    @Override
    public void fill(INDArray flat, Segment[] segs, double v) {
        INDArray f = flat.reshape(flat.length());
        for (Segment s : segs)
            f.get(NDArrayIndex.interval(s.offset, s.offset + s.length)).assign(v);
    }

    @Override
    public void copyRowMajor(INDArray src, INDArray flat, int at) {
        boolean vector = src.rank() == 1;
        long rows = vector ? 1 : src.size(0), cols = vector ? src.length() : src.size(1);
        INDArray view =
                Nd4j.create(flat.data(), new long[] {rows, cols}, new long[] {cols, 1}, flat.offset() + at, 'c');
        view.assign(src.reshape(rows, cols));
    }

    /** DL4J's ReLU, as {@code Activation.RELU} gives it to a layer. */
    private static final ActivationReLU RELU = new ActivationReLU();

    @Override
    public void biasRelu(INDArray z, INDArray rows, INDArray a) {
        if (rows != null) Nd4j.exec(new BroadcastAddOp(z, rows, z, 0, 2));
        INDArray r = RELU.getActivation(a.assign(z), true);
        if (r != a) a.assign(r);
    }

    @Override
    public INDArray reluBackprop(INDArray z, INDArray dy, INDArray into) {
        try (Temps t = new Temps()) { // DL4J's backprop returns a fresh array: into it, and that one freed
            return into.assign(t.of(RELU.backprop(z, dy).getFirst()));
        }
    }

    @Override
    public void sumOverBatch(INDArray d, INDArray into) {
        batchSum(d, into);
    }

    /** {@link #sumOverBatch} as ND4J's reduction along the batch dimension. */
    static void batchSum(INDArray d, INDArray into) {
        d.sum(into.reshape('c', into.size(0), into.size(2)), 1);
    }

    @Override
    public void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b) {
        layerNormForwardOps(x, gamma, beta, eps, b);
    }

    @Override
    public INDArray layerNormBackward(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b) {
        return layerNormBackwardOps(dy, gamma, dGamma, dBeta, b);
    }

    /** Layer norm's forward as ND4J ops, LayerNorm's own in its order (x − μ and the scalings as column ops). */
    static void layerNormForwardOps(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b) {
        INDArray x2 = x.reshape('c', x.size(0) * x.size(1), x.size(2));
        x2.mean(b.m1Flat, 1);
        b.xhat2.assign(x2).subiColumnVector(b.m1); // a column op: ND4J's broadcast along rows is far slower
        b.xhat2.mul(b.xhat2, b.tmp2).mean(b.invFlat, 1);
        Transforms.pow(b.inv.addi(eps), -0.5, false);
        b.xhat2.muliColumnVector(b.inv);
        Nd4j.exec(new BroadcastMulOp(b.xhat, gamma, b.y, 0, 2));
        Nd4j.exec(new BroadcastAddOp(b.y, beta, b.y, 0, 2));
    }

    /** Layer norm's backward as ND4J ops, in LayerNorm's order. */
    static INDArray layerNormBackwardOps(
            INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b) {
        batchSum(dy.mul(b.xhat, b.tmp), dGamma);
        batchSum(dy, dBeta);
        Nd4j.exec(new BroadcastMulOp(dy, gamma, b.dx, 0, 2));
        b.dx2.mean(b.m1Flat, 1);
        b.dx2.mul(b.xhat2, b.tmp2).mean(b.m2Flat, 1);
        b.tmp2.assign(b.xhat2).muliColumnVector(b.m2);
        b.dx2.subiColumnVector(b.m1).subi(b.tmp2).muliColumnVector(b.inv);
        return b.dx;
    }
}
