package dev.gradsweep.cli;

import dev.gradsweep.api.FactoryDoctor;
import dev.gradsweep.config.BadInputException;
import dev.gradsweep.config.BuildInfo;
import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.conv.ConvDoctor;
import dev.gradsweep.grid.GridSpec;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.simd.Simd;
import dev.gradsweep.stats.TrainingMemory;
import dev.gradsweep.store.Machine;
import dev.gradsweep.train.Doctor;
import dev.gradsweep.transformer.TransformerDoctor;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Where statistics are computed here, and whether they are right: run it first on a new machine or backend. */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the ND4J backend, device, versions (ND4J; CUDA and cuDNN when present) and the memory path the",
            "statistics use here (host-direct on the CPU backend; portable on any other, or with -D"
                    + "gradsweep.portable=true), then trains a tiny block net and a tiny transformer a few steps in",
            "float32 and float64 with that path and",
            "recomputes every recorded statistic with plain ND4J reductions. Exit 0 when all agree, 1 on the first",
            "disagreement (printed)."
        })
final class DoctorCommand implements Callable<Integer> {
    @Option(
            names = "--steps",
            defaultValue = "4",
            description = "Training steps per precision (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--grid",
            paramLabel = "FILE",
            description = {
                "Also check the network of FILE's model factory (its first configuration, as a sweep builds and trains",
                "it; a generated task): put the factory's jar on the classpath with bin/gradsweep --jars."
            })
    String grid;

    @Override
    public Integer call() {
        if (steps < 1 || steps > 1000) throw new IllegalArgumentException("--steps must be 1..1000");
        TrainingMemory probe = TrainingMemory.forBackend();
        line("backend", Machine.backend() + " (" + Nd4j.getBackend().getClass().getSimpleName() + ")");
        line("device", Machine.device() + deviceName());
        line("nd4j", BuildInfo.DL4J_VERSION);
        line(
                "cuda",
                version("org.bytedeco.cuda.global.cudart", "cudaRuntimeGetVersion", true)
                        + versionSuffix(
                                "driver", version("org.bytedeco.cuda.global.cudart", "cudaDriverGetVersion", true)));
        line("cudnn", version("org.bytedeco.cuda.global.cudnn", "cudnnGetVersion", false));
        line(
                "path",
                probe.name()
                        + (TrainingMemory.portableRequired()
                                ? (Nd4j.getEnvironment().isCPU()
                                        ? " (forced by -D" + RuntimeOptions.PORTABLE.key() + "=true)"
                                        : " (required: the backend keeps device copies)")
                                : ""));
        line("simd", Simd.describe());
        boolean ok = true;
        for (TrainSpec.DType dt : List.of(TrainSpec.DType.FLOAT32, TrainSpec.DType.FLOAT64)) {
            String precision = dt.name().toLowerCase(Locale.ROOT);
            ok &= report("check " + precision, Doctor.check(Doctor.net(dt, steps), TrainingMemory.forBackend()));
            ok &= report(
                    "transf " + precision, // a transformer
                    TransformerDoctor.check(TransformerDoctor.net(dt, steps), TrainingMemory.forBackend()));
            ok &= report(
                    "conv " + precision, // a conv net (host float32: the Vector API kernels)
                    ConvDoctor.check(ConvDoctor.net(dt, steps), TrainingMemory.forBackend()));
        }
        if (grid != null) {
            GridSpec g = GridSpec.load(Path.of(grid));
            if (g.model == null) throw new BadInputException("--grid " + grid + ": the grid names no model factory");
            if (g.task.kind == TaskSpec.Kind.TABLE)
                throw new BadInputException("--grid " + grid + ": doctor checks a factory on a generated task, not a"
                        + " table (the check does not depend on the data)");
            ok &= report(
                    "model " + g.model.substring(g.model.lastIndexOf('.') + 1),
                    FactoryDoctor.check(g.expand().get(0), steps, TrainingMemory.forBackend()));
        }
        System.out.println(
                ok
                        ? "doctor: statistics agree with plain ND4J reductions on this backend"
                        : "doctor: statistics disagree; do not trust this machine's sweeps until it agrees");
        return ok ? 0 : 1;
    }

    /** Prints a check's line; true when it agrees. */
    private boolean report(String name, Doctor.Result r) {
        if (r.ok())
            line(
                    name,
                    String.format(
                            Locale.ROOT,
                            "agree: %d values over %d steps, worst relative difference %.1e (%s)",
                            r.compared(),
                            steps,
                            r.worst(),
                            r.worstWhat()));
        else line(name, "DISAGREE: " + r.disagreement());
        return r.ok();
    }

    private static void line(String key, String value) {
        System.out.printf("%-14s %s%n", key, value);
    }

    private static String deviceName() {
        Object devices = Nd4j.getExecutioner().getEnvironmentInformation().get("cuda.devicesInformation");
        if (!(devices instanceof List<?> list) || list.isEmpty() || !(list.get(0) instanceof Map<?, ?> first))
            return "";
        return " " + first.get("cuda.deviceName") + ", " + list.size() + " device(s)";
    }

    private static String versionSuffix(String what, String v) {
        return v.startsWith("not") ? "" : ", " + what + " " + v;
    }

    /**
     * A CUDA library's version through the JavaCPP presets that nd4j-cuda brings, by reflection so that a CPU build
     * (without them) runs too; 11060 reads 11.6, cuDNN's 8300 reads 8.3.0.
     */
    private static String version(String cls, String method, boolean intOut) {
        try {
            Class<?> c = Class.forName(cls);
            long v;
            if (intOut) {
                int[] out = new int[1];
                c.getMethod(method, int[].class).invoke(null, (Object) out);
                v = out[0];
            } else v = ((Number) c.getMethod(method).invoke(null)).longValue();
            return intOut ? v / 1000 + "." + v % 1000 / 10 : v / 1000 + "." + v % 1000 / 100 + "." + v % 100;
        } catch (ReflectiveOperationException | LinkageError e) {
            return "not present ("
                    + (Nd4j.getEnvironment().isCPU()
                            ? "CPU backend"
                            : e.getClass().getSimpleName()) + ")";
        }
    }
}
