package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.transformer.TransformerDoctor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** doctor's transformer check agrees with both real paths and catches a path that skews one statistic slightly. */
class TransformerDoctorTest {
    @Test
    void bothPathsPassInBothPrecisions() {
        for (TrainSpec.DType dt : TrainSpec.DType.values())
            for (TrainingMemory m : List.of(TrainingMemory.hostDirect(), TrainingMemory.portable())) {
                Doctor.Result r = TransformerDoctor.check(TransformerDoctor.net(dt, 2), m);
                assertTrue(r.ok(), dt + " " + m.name() + ": " + r.disagreement());
                // 2 steps × (28 arrays × 8 columns + 5 taps × 7 columns); post-LN has no final norm
                assertEquals(2 * (28 * 8 + 5 * 7), r.compared());
            }
    }

    @Test
    void aPathThatSkewsOneStatisticIsCaught() {
        Doctor.Result grad = TransformerDoctor.check(
                TransformerDoctor.net(TrainSpec.DType.FLOAT64, 2),
                new DoctorTest.Skewed(TrainingMemory.portable(), stats -> stats.maxAbs *= 1 + 1e-7, null));
        assertFalse(grad.ok());
        assertTrue(grad.disagreement().contains("grad_max_abs"), grad.disagreement());
        Doctor.Result act = TransformerDoctor.check(
                TransformerDoctor.net(TrainSpec.DType.FLOAT32, 2),
                new DoctorTest.Skewed(TrainingMemory.hostDirect(), null, a -> a.sumSq *= 1 + 1e-6));
        assertFalse(act.ok());
        assertTrue(act.disagreement().contains("act_std"), act.disagreement());
    }
}
