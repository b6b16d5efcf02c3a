package dev.gradsweep.bench;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The nets {@code bench} trains, and the selection of them by name prefix ({@code --nets}). */
public final class BenchNets {
    private BenchNets() {}

    /**
     * The reference nets (50 x 10 sigmoid, 20 x 256 relu, a 10-block pre-LN residual net with relu and with gelu):
     * name → run configuration (steps unbounded).
     */
    public static Map<String, RunConfig> referenceNets() {
        Map<String, RunConfig> m = new LinkedHashMap<>();
        TrainSpec small =
                new TrainSpec(Integer.MAX_VALUE, 32, TrainSpec.Optimizer.SGD, 0.01, "none", TrainSpec.DType.FLOAT32);
        m.put(
                "mlp50x10_sigmoid_b32",
                new RunConfig(
                        "bench",
                        50,
                        10,
                        Activation.SIGMOID,
                        Init.parse("xavier"),
                        Norm.NONE,
                        Placement.NA,
                        Skip.NONE,
                        new TaskSpec(
                                TaskSpec.Kind.GAUSS,
                                10,
                                10,
                                1024,
                                TaskSpec.Objective.REGRESSION,
                                null,
                                null,
                                List.of()),
                        small,
                        1));
        TrainSpec large =
                new TrainSpec(Integer.MAX_VALUE, 128, TrainSpec.Optimizer.SGD, 0.001, "none", TrainSpec.DType.FLOAT32);
        // the two wide nets train on the same data
        TaskSpec wide =
                new TaskSpec(TaskSpec.Kind.GAUSS, 256, 10, 2048, TaskSpec.Objective.REGRESSION, null, null, List.of());
        m.put(
                "mlp20x256_relu_b128",
                new RunConfig(
                        "bench",
                        20,
                        256,
                        Activation.RELU,
                        Init.parse("he"),
                        Norm.NONE,
                        Placement.NA,
                        Skip.NONE,
                        wide,
                        large,
                        1));
        // the pre-LN net with the transformer's activation as well as relu
        for (Activation a : List.of(Activation.RELU, Activation.GELU))
            m.put(
                    "preln10x256_" + a.key + "_b128",
                    new RunConfig(
                            "bench",
                            10,
                            256,
                            a,
                            Init.parse("he"),
                            Norm.LAYER,
                            Placement.PRE,
                            Skip.RESIDUAL,
                            wide,
                            large,
                            1));
        return m;
    }

    /** The reference nets whose names start with {@code prefix} ("all": every one). */
    public static Map<String, RunConfig> selected(String prefix) {
        Map<String, RunConfig> m = new LinkedHashMap<>();
        referenceNets().forEach((name, rc) -> {
            if (prefix.equals("all") || name.startsWith(prefix)) m.put(name, rc);
        });
        return m;
    }
}
