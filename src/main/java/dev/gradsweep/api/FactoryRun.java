package dev.gradsweep.api;

import dev.gradsweep.data.Batches;
import dev.gradsweep.data.TaskData;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.store.RunWriter;
import dev.gradsweep.store.TaskFiles;
import dev.gradsweep.train.FitProbe;
import dev.gradsweep.train.LossBaseline;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.io.IOException;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Trains one run of a grid's {@code model} factory: the factory builds the network, DL4J's own {@code fit} trains it
 * one minibatch a step (the task's, as for gradsweep's nets: the same seeds give the same batches), and the
 * listener's probe ({@link FitProbe}) records every step. Runs train one by one (no stacking); their runs row says
 * {@code engine = factory}. A build that fails here, although it passed the driver's check, fails the run.
 */
public final class FactoryRun {
    /** The run's writer (its rows) and outcome. */
    public record Trained(RunWriter writer, RunOutcome outcome) {}

    private FactoryRun() {}

    public static Trained train(RunConfig rc, TaskData data, TaskFiles files) throws IOException {
        return train(rc, data, files, TrainingMemory.forBackend());
    }

    static Trained train(RunConfig rc, TaskData data, TaskFiles files, TrainingMemory memory) throws IOException {
        Model[] built = new Model[1];
        RunOutcome failed = Trainer.guarded(out -> built[0] = Factories.build(rc));
        if (built[0] == null) {
            failed.lossBaseline = LossBaseline.of(data);
            return new Trained(RunWriter.ofFactory(files, rc, 1), failed);
        }
        Model net = built[0];
        RunWriter writer = RunWriter.ofFactory(files, rc, FitProbe.layersOf(net).size());
        RunOutcome outcome = Trainer.guarded(out -> {
            out.lossBaseline = LossBaseline.of(data); // first, so a run that fails while training still has it
            FitProbe probe = new FitProbe(writer, out, memory);
            Batches batches = new Batches(data, rc.train.batch, net.params().dataType(), rc.seed, memory);
            net.addListeners(probe);
            for (int s = 0; s < rc.train.steps && out.status == RunOutcome.Status.OK; s++) {
                MemoryGuard.check();
                batches.next();
                DataSet d = new DataSet(batches.features, batches.labels);
                if (net instanceof MultiLayerNetwork n) n.fit(d);
                else ((ComputationGraph) net).fit(d);
            }
        });
        return new Trained(writer, outcome);
    }
}
