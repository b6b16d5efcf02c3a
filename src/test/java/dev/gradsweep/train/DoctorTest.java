package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.ActStats;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.ParamStep;
import dev.gradsweep.stats.RunFactors;
import dev.gradsweep.stats.Segment;
import dev.gradsweep.stats.TrainingMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The doctor's independent recomputation agrees with both real paths, and catches a path that is slightly wrong. */
class DoctorTest {
    @Test
    void bothPathsPassInBothPrecisions() {
        for (TrainSpec.DType dt : TrainSpec.DType.values())
            for (TrainingMemory m : List.of(TrainingMemory.hostDirect(), TrainingMemory.portable())) {
                Doctor.Result r = Doctor.check(Doctor.net(dt, 3), m);
                assertTrue(r.ok(), dt + " " + m.name() + ": " + r.disagreement());
                assertTrue(r.compared() > 500, "compared " + r.compared());
            }
    }

    @Test
    void aPathThatSkewsOneStatisticIsCaught() {
        Doctor.Result grad = Doctor.check(
                Doctor.net(TrainSpec.DType.FLOAT64, 2),
                new Skewed(TrainingMemory.portable(), stats -> stats.maxAbs *= 1 + 1e-7, null));
        assertFalse(grad.ok());
        assertTrue(grad.disagreement().contains("grad_max_abs"), grad.disagreement());
        Doctor.Result act = Doctor.check(
                Doctor.net(TrainSpec.DType.FLOAT32, 2), new Skewed(TrainingMemory.hostDirect(), null, a -> a.zeros++));
        assertFalse(act.ok());
        assertNotNull(act.disagreement());
        assertTrue(act.disagreement().contains("act_zero_frac"), act.disagreement());
    }

    /** A real path whose gradient or activation results are altered after they arrive. */
    static final class Skewed implements TrainingMemory {
        final TrainingMemory real;
        final Consumer<ParamStats> onGradient;
        final Consumer<ActStats> onActivations;
        final List<Runnable> afterSync = new ArrayList<>();

        Skewed(TrainingMemory real, Consumer<ParamStats> onGradient, Consumer<ActStats> onActivations) {
            this.real = real;
            this.onGradient = onGradient;
            this.onActivations = onActivations;
        }

        @Override
        public String name() {
            return "skewed " + real.name();
        }

        @Override
        public void gradient(INDArray grad, INDArray params, Segment[] segs, double scale, ParamStats[] into) {
            real.gradient(grad, params, segs, scale, into);
            if (onGradient != null) afterSync.add(() -> onGradient.accept(into[into.length - 1]));
        }

        @Override
        public void activations(INDArray a, int groups, Activation fn, ActStats[] into) {
            real.activations(a, groups, fn, into);
            if (onActivations != null) afterSync.add(() -> onActivations.accept(into[0]));
        }

        @Override
        public void sync() {
            real.sync();
            afterSync.forEach(Runnable::run);
            afterSync.clear();
        }

        @Override
        public long transfers() {
            return real.transfers();
        }

        @Override
        public void clipByNorm(INDArray grad, Segment[][] sets, double[] bound) {
            real.clipByNorm(grad, sets, bound);
        }

        @Override
        public void update(INDArray update, Segment[] segs, ParamStats[] into) {
            real.update(update, segs, into);
        }

        @Override
        public void sumSq(INDArray flat, Segment[] segs, double[] into) {
            real.sumSq(flat, segs, into);
        }

        @Override
        public void sumSq(INDArray a, double[] into, int at) {
            real.sumSq(a, into, at);
        }

        @Override
        public void activations(INDArray[] arrays, int groups, Activation fn, ActStats[] into) {
            real.activations(arrays, groups, fn, into);
            if (onActivations != null) afterSync.add(() -> onActivations.accept(into[0]));
        }

        @Override
        public void read(INDArray a, double[] into) {
            real.read(a, into);
        }

        @Override
        public ParamStep paramStep(INDArray params, INDArray update) {
            return real.paramStep(params, update);
        }

        @Override
        public void writeRows(INDArray t, double[] src, int[] order, int from, int rows, int cols) {
            real.writeRows(t, src, order, from, rows, cols);
        }

        @Override
        public void scale(INDArray x, RunFactors f, INDArray minuend) {
            real.scale(x, f, minuend);
        }

        @Override
        public void fill(INDArray flat, Segment[] segs, double v) {
            real.fill(flat, segs, v);
        }

        @Override
        public void copyRowMajor(INDArray src, INDArray flat, int at) {
            real.copyRowMajor(src, flat, at);
        }

        @Override
        public void biasRelu(INDArray z, INDArray rows, INDArray a) {
            real.biasRelu(z, rows, a);
        }

        @Override
        public INDArray reluBackprop(INDArray z, INDArray dy, INDArray into) {
            return real.reluBackprop(z, dy, into);
        }

        @Override
        public void sumOverBatch(INDArray d, INDArray into) {
            real.sumOverBatch(d, into);
        }

        @Override
        public void layerNormForward(INDArray x, INDArray gamma, INDArray beta, double eps, LayerNormBuffers b) {
            real.layerNormForward(x, gamma, beta, eps, b);
        }

        @Override
        public INDArray layerNormBackward(
                INDArray dy, INDArray gamma, INDArray dGamma, INDArray dBeta, LayerNormBuffers b) {
            return real.layerNormBackward(dy, gamma, dGamma, dBeta, b);
        }
    }
}
