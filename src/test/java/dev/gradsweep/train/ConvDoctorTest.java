package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.conv.ConvDoctor;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.TrainingMemory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** doctor's conv check agrees with both real paths and catches a path that skews one activation statistic slightly. */
class ConvDoctorTest {
    @Test
    void bothPathsPassInBothPrecisions() {
        for (TrainSpec.DType dt : TrainSpec.DType.values())
            for (TrainingMemory m : List.of(TrainingMemory.hostDirect(), TrainingMemory.portable())) {
                Doctor.Result r = ConvDoctor.check(ConvDoctor.net(dt, 2), m);
                assertTrue(r.ok(), dt + " " + m.name() + ": " + r.disagreement());
                // 2 steps × (29 arrays × 8 columns + 5 layers rows × 7): stem W + bn, block0 2 convs + 2 bn,
                // blocks 1 and 2 also a projection and its bn, head W, b
                assertEquals(2 * (29 * 8 + 5 * 7), r.compared());
            }
    }

    @Test
    void aPathThatSkewsOneStatisticIsCaught() {
        Doctor.Result act = ConvDoctor.check(
                ConvDoctor.net(TrainSpec.DType.FLOAT32, 2),
                new DoctorTest.Skewed(TrainingMemory.hostDirect(), null, a -> a.sumSq *= 1 + 1e-6));
        assertFalse(act.ok());
        assertTrue(act.disagreement().contains("act_std"), act.disagreement());
    }
}
