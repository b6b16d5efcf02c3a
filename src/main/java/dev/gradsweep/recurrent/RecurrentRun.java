package dev.gradsweep.recurrent;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.train.RunOutcome;
import dev.gradsweep.train.Trainer;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains one grid run with a recurrent cell start to end, with the feed-forward runs' outcome bookkeeping. The
 * recurrent engine is CPU-only: its gate loops read and write the arrays' host memory ({@link HostBuf}), which is the
 * array only on ND4J's CPU backend; it has no portable variant, so on any other backend a run is refused before it
 * trains (and a sweep of a CUDA-only build before it starts, {@link #requireCpuBuild}).
 */
public final class RecurrentRun {
    private RecurrentRun() {}

    /** ND4J's CPU backend, looked up without loading it (the driver need not start ND4J). */
    static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

    /** Every step with statistics: its steps, params and timesteps rows go to {@code rec}. */
    public static RunOutcome train(RunConfig rc, RunRecorder rec) {
        return Trainer.guarded(out -> {
            if (!Nd4j.getEnvironment().isCPU())
                throw new IllegalStateException(cpuOnly(
                        rc,
                        "this executor's ND4J backend is "
                                + Nd4j.getBackend().getClass().getSimpleName()));
            SequenceTask task = SequenceTask.parse(rc.task.name());
            if (task == null) throw new IllegalArgumentException("task " + rc.task.name() + " is not a sequence task");
            // the task's chance loss is exactly what LossBaseline estimates from a stored data set
            out.lossBaseline = task.chanceLoss();
            RecurrentTrainer trainer = new RecurrentTrainer(RecurrentSpec.of(rc, task), task, rc.train);
            out.nParams = trainer.net().numParams();
            out.nLayers = rc.depth + 1;
            while (trainer.hasNext()) {
                StepResult r = trainer.step(true);
                r.recordTo(rec);
                out.endStep(r.loss(), r.ms(), r.finite());
            }
        });
    }

    /**
     * Refuses a grid with recurrent runs when the build has no CPU backend (the {@code -Pcuda} jar), before anything
     * starts: its executors, on the same jar, could only refuse every such run.
     */
    public static void requireCpuBuild(List<RunConfig> runs, String gridFile) {
        requireBackend(runs, gridFile, CPU_BACKEND);
    }

    /** {@link #requireCpuBuild} with the backend class to look for. */
    static void requireBackend(List<RunConfig> runs, String gridFile, String cpuBackend) {
        if (present(cpuBackend)) return;
        long n = runs.stream().filter(r -> r.cell.recurrent()).count();
        runs.stream().filter(r -> r.cell.recurrent()).findFirst().ifPresent(r -> {
            throw new BadInputException("grid file " + gridFile + ": " + n + " run(s) with a recurrent cell; "
                    + cpuOnly(r, "this build holds no ND4J CPU backend"));
        });
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, RecurrentRun.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static String cpuOnly(RunConfig rc, String here) {
        return "run " + rc.runId + " (cell " + rc.cell + ") needs ND4J's CPU backend and " + here
                + ": the recurrent engine's gate loops read and write the arrays' host memory, which on a GPU backend"
                + " is a stale copy of the device's; train recurrent grids with the CPU build"
                + " (docs/cluster-and-gpu.md)";
    }
}
