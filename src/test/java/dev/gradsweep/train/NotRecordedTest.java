package dev.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.model.TestNets;
import dev.gradsweep.stats.ParamStats;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.stats.Segment;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Rows that cannot be stored (a full disk while a row group is flushed mid-training) fail the run's task, so the run
 * stays uncommitted and is trained again; any other exception in training still makes the run {@code failed}.
 */
class NotRecordedTest {
    static final TaskSpec TASK = TestNets.regression(TaskSpec.Kind.TEACHER, 4, 1, 64);
    static final RunConfig RC = TestNets.config(
            2,
            4,
            Activation.RELU,
            "he",
            "none",
            "n/a",
            "none",
            TASK,
            new TrainSpec(3, 16, TrainSpec.Optimizer.SGD, 0.05, "none", TrainSpec.DType.FLOAT32, 0, -2),
            1);

    /** A recorder whose param rows fail as {@code failure} says, from the given step on. */
    static RunRecorder failingAt(int step, RuntimeException failure) {
        return new RunRecorder() {
            @Override
            public void step(int s, double loss, double gradL2Total, double updateL2Total, double lr, double stepMs) {}

            @Override
            public void param(int s, Segment segment, ParamStats stats) {
                if (s >= step) throw failure;
            }

            @Override
            public void layer(int s, dev.gradsweep.stats.LayerInfo layer, dev.gradsweep.stats.ActStats st, double g) {}
        };
    }

    @Test
    void aRowThatCannotBeStoredFailsTheTaskNotTheRun() {
        RunRecorder.NotRecorded full =
                new RunRecorder.NotRecorded("cannot write the rows", new IOException("No space left on device"));
        RunRecorder.NotRecorded thrown = assertThrows(
                RunRecorder.NotRecorded.class,
                () -> Trainer.train(RC, Tasks.generate(TASK, 1), failingAt(1, full), true));
        assertEquals(full, thrown);
    }

    @Test
    void anyOtherExceptionInTrainingStillMakesTheRunFailed() {
        RunOutcome o = Trainer.train(
                RC, Tasks.generate(TASK, 1), failingAt(1, new IllegalStateException("a bug in a layer")), true);
        assertEquals(RunOutcome.Status.FAILED, o.status);
        assertTrue(o.error.contains("a bug in a layer"), o.error);
    }
}
