package dev.gradsweep.stats;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.hostmem.HostArray;
import dev.gradsweep.simd.Simd;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameter step p ← p − u over the network's flat parameter and update buffers. On the CPU backend with
 * float32 and the SIMD loops, the step is one Java pass over host memory that also reduces what the statistics
 * need from it (Σu² of the update applied, Σp² of the new parameters, which are the next step's "parameters the
 * gradient was computed at"), so neither buffer is read a second time; the subtraction is IEEE float32 either way,
 * so the parameters are bit-identical to ND4J's {@code subi}. Elsewhere it is ND4J's {@code subi} and the statistics
 * read the buffers themselves. The bare loop uses the same step, so the statistics' overhead is measured on equal
 * training.
 */
public final class ParamStep {
    /** System property that keeps the step in ND4J ({@code false}); the host step is used where it can be. */
    public static final String PROPERTY = RuntimeOptions.HOST_STEP.key();

    private final INDArray params, update;
    /** Host views of the same memory, or null when the step is ND4J's. */
    private final HostArray p, u;

    private final double[] acc = new double[2];

    public ParamStep(INDArray params, INDArray update) {
        this(params, update, hostEnabled());
    }

    /** ND4J's {@code subi}, whatever the backend: the portable path's step. */
    static ParamStep nd4j(INDArray params, INDArray update) {
        return new ParamStep(params, update, false);
    }

    private ParamStep(INDArray params, INDArray update, boolean hostAllowed) {
        this.params = params;
        this.update = update;
        boolean host = hostAllowed
                && params.dataType() == DataType.FLOAT
                && update.dataType() == DataType.FLOAT
                && params.length() == update.length()
                && HostArray.isContiguous(params)
                && HostArray.isContiguous(update);
        this.p = host ? HostArray.of(params) : null;
        this.u = host ? HostArray.of(update) : null;
    }

    /** True when float32 steps run on the host: SIMD loops, CPU backend, not turned off by {@link #PROPERTY}. */
    public static boolean hostEnabled() {
        return Simd.ENABLED
                && RuntimeOptions.flag(RuntimeOptions.HOST_STEP)
                && Nd4j.getEnvironment().isCPU();
    }

    /** True when {@link #apply(Segment[], ParamStats[], double[])} reduces while it steps. */
    public boolean reduces() {
        return p != null;
    }

    /** p ← p − u. */
    public void apply() {
        if (p == null) params.subi(update);
        else step(0, p.length, null);
    }

    /**
     * p ← p − u, adding Σu² over each gradient segment to {@code stats[i].updateSumSq} and putting Σp² of its new
     * parameters in {@code newParamSq[i]}; elements outside the segments (batch norm's running statistics) are
     * stepped without statistics. Only when {@link #reduces()}.
     */
    public void apply(Segment[] segments, ParamStats[] stats, double[] newParamSq) {
        int at = 0;
        for (int i = 0; i < segments.length; i++) {
            if (segments[i].offset > at) step(at, segments[i].offset, null);
            acc[0] = acc[1] = 0;
            step(segments[i].offset, segments[i].offset + segments[i].length, acc);
            stats[i].updateSumSq += acc[0];
            newParamSq[i] = acc[1];
            at = segments[i].offset + segments[i].length;
        }
        if (at < p.length) step(at, p.length, null);
    }

    private void step(int from, int to, double[] sums) {
        double[] into = sums == null ? acc : sums;
        for (int at = from; at < to; at += HostArray.BLOCK)
            Simd.step(p.floats(at), u.floats(at), Math.min(HostArray.BLOCK, to - at), into);
    }
}
