package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.train.MemoryGuard;
import dev.gradsweep.train.stack.StackMemory;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** How a sweep's runs are cut into stacks, and how many tasks Spark will run at once. */
class StacksTest {
    static SparkConf conf(String... kv) {
        SparkConf c = new SparkConf(false);
        for (int i = 0; i < kv.length; i += 2) c.set(kv[i], kv[i + 1]);
        return c;
    }

    @Test
    void slotsComeFromTheConfigurationBeforeExecutorsRegister() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(3, SweepDriver.slots(conf("spark.master", "local[3]"), 1));
        assertEquals(1, SweepDriver.slots(conf("spark.master", "local"), 7));
        assertEquals(cores, SweepDriver.slots(conf("spark.master", "local[*]"), 1));
        assertEquals(2, SweepDriver.slots(conf("spark.master", "local[2,4]"), 1));
        // YARN / Kubernetes: executors × cores, whatever has registered so far
        assertEquals(
                40,
                SweepDriver.slots(
                        conf("spark.master", "yarn", "spark.executor.instances", "10", "spark.executor.cores", "4"),
                        2));
        assertEquals(
                20,
                SweepDriver.slots(
                        conf(
                                "spark.master",
                                "yarn",
                                "spark.executor.instances",
                                "10",
                                "spark.executor.cores",
                                "4",
                                "spark.task.cpus",
                                "2"),
                        2));
        // standalone: the cap on the application's cores, the smaller of the two when both are set
        assertEquals(16, SweepDriver.slots(conf("spark.master", "spark://h:7077", "spark.cores.max", "16"), 2));
        assertEquals(
                8,
                SweepDriver.slots(
                        conf(
                                "spark.master",
                                "spark://h:7077",
                                "spark.cores.max",
                                "16",
                                "spark.executor.instances",
                                "2",
                                "spark.executor.cores",
                                "4"),
                        2));
        // nothing configured: what Spark reports
        assertEquals(6, SweepDriver.slots(conf("spark.master", "spark://h:7077"), 6));
    }

    @Test
    void stacksAreCutSoThatEverySlotHasWork() {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 5, 1, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        List<RunConfig> runs = new ArrayList<>();
        for (int seed = 0; seed < 64; seed++)
            runs.add(new RunConfig(
                    "t",
                    3,
                    6,
                    Activation.TANH,
                    Init.parse("xavier"),
                    Norm.NONE,
                    Placement.NA,
                    Skip.NONE,
                    task,
                    new TrainSpec(
                            4,
                            8,
                            TrainSpec.Optimizer.ADAM,
                            0.01 * (1 + seed % 2),
                            seed % 3 == 0 ? "norm:1" : "none",
                            TrainSpec.DType.FLOAT32),
                    seed));
        // 64 stackable runs: 2 slots → stacks of 16 (4 tasks); 40 slots → stacks of 1 (every run its own task)
        assertEquals(
                List.of(16, 16, 16, 16),
                Stacks.plan(runs, 2, true).stream().map(List::size).toList());
        assertEquals(64, Stacks.plan(runs, 40, true).size());
        assertEquals(2, Stacks.plan(runs, 1, true).size(), "at most " + Stacks.MAX_STACK + " runs per stack");
        assertEquals(64, Stacks.plan(runs, 1, false).size(), "--no-stack");
    }

    /** Block nets stack by default, batch norm's too, each architecture with its own kind. */
    @Test
    void blockNetsStackByArchitecture() {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 5, 1, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        TrainSpec train = new TrainSpec(4, 8, TrainSpec.Optimizer.ADAM, 0.01, "none", TrainSpec.DType.FLOAT32);
        List<RunConfig> runs = new ArrayList<>();
        Object[][] archs = {
            {Norm.LAYER, Placement.PRE, Skip.RESIDUAL},
            {Norm.LAYER, Placement.POST, Skip.RESIDUAL},
            {Norm.NONE, Placement.NA, Skip.HIGHWAY},
            {Norm.LAYER, Placement.NA, Skip.NONE},
            {Norm.BATCH, Placement.PRE, Skip.REZERO}
        };
        for (Object[] a : archs)
            for (int seed = 0; seed < 4; seed++)
                runs.add(new RunConfig(
                        "t",
                        3,
                        6,
                        Activation.RELU,
                        Init.parse("he"),
                        (Norm) a[0],
                        (Placement) a[1],
                        (Skip) a[2],
                        task,
                        train,
                        seed));
        // one slot: each architecture's 4 runs cut into 2 stacks of 2
        assertEquals(
                List.of(2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
                Stacks.plan(runs, 1, true).stream().map(List::size).toList());
        for (List<RunConfig> stack : Stacks.plan(runs, 1, true))
            assertEquals(
                    1,
                    stack.stream()
                            .map(r -> r.norm + "/" + r.placement + "/" + r.skip)
                            .distinct()
                            .count());
    }

    /** 32 runs of a {@code width}-wide plain net, differing in seed. */
    private static List<RunConfig> wide(int width) {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 8, 2, 256, TaskSpec.Objective.REGRESSION, null, null, List.of());
        List<RunConfig> runs = new ArrayList<>();
        for (int seed = 0; seed < 32; seed++)
            runs.add(new RunConfig(
                    "t",
                    4,
                    width,
                    Activation.RELU,
                    Init.parse("he"),
                    Norm.NONE,
                    Placement.NA,
                    Skip.NONE,
                    task,
                    new TrainSpec(4, 64, TrainSpec.Optimizer.ADAM, 0.01, "none", TrainSpec.DType.FLOAT32),
                    seed));
        return runs;
    }

    @Test
    void wideNetsUnderASmallBoundGetSmallerStacks() {
        List<RunConfig> wide = wide(512), narrow = wide(8);
        long perRun = StackMemory.bytesPerRun(wide.get(0));
        // 2 concurrent stacks in half of the bound: a bound of 4 x 5.5 runs leaves room for 5 runs a stack
        Stacks.Budget budget = new Stacks.Budget(22 * perRun, "test", 2, 0.5);
        Stacks.Plan plan = Stacks.plan(wide, 1, true, budget);
        assertEquals(
                List.of(5, 5, 5, 5, 5, 5, 2),
                plan.tasks().stream().map(List::size).toList());
        assertTrue(plan.summary().startsWith("stacks of up to 5 runs"), plan.summary());
        assertTrue(plan.summary().contains("2 concurrent"), plan.summary());
        assertTrue(plan.summary().endsWith("1 of 1 shapes cut to fewer runs by memory"), plan.summary());
        // the narrow net needs far less than a wide run (8 x 8 against 512 x 512 weights): a full stack fits, so
        // the run count rules as without a bound, 2 x slots stacks: 1 slot → 16, 2 slots → 8
        assertTrue(32 * StackMemory.bytesPerRun(narrow.get(0)) < 5 * perRun);
        assertEquals(
                List.of(16, 16),
                Stacks.plan(narrow, 1, true, budget).tasks().stream()
                        .map(List::size)
                        .toList());
        assertEquals(
                List.of(8, 8, 8, 8),
                Stacks.plan(narrow, 2, true, budget).tasks().stream()
                        .map(List::size)
                        .toList());
    }

    @Test
    void aStackIsNeverEmpty() {
        Stacks.Plan plan = Stacks.plan(wide(512), 1, true, new Stacks.Budget(1, "test", 4, 0.5));
        assertEquals(32, plan.tasks().size());
        for (List<RunConfig> t : plan.tasks()) assertEquals(1, t.size());
        assertTrue(plan.summary().startsWith("stacks of up to 1 runs"), plan.summary());
    }

    @Test
    void theBoundIsTheExecutorsOwn() {
        Stacks.Budget local = Stacks.Budget.of(conf("spark.master", "local[2]"));
        assertEquals(2, local.concurrent());
        assertEquals(
                MemoryGuard.limit() > 0
                        ? MemoryGuard.limit()
                        : Runtime.getRuntime().maxMemory(),
                local.bound());
        assertEquals(0.5, local.share());
        // a cluster: the executors' maxRss where their options set it, their task slots
        Stacks.Budget guarded = Stacks.Budget.of(conf(
                "spark.master",
                "spark://h:7077",
                "spark.executor.cores",
                "4",
                "spark.executor.extraJavaOptions",
                "-Xss4m -D" + MemoryGuard.PROPERTY + "=5g -Dx=y"));
        assertEquals(5L << 30, guarded.bound());
        assertEquals(4, guarded.concurrent());
        // else the container: heap + overhead (MiB without a unit, as Spark reads them), or Spark's default overhead
        Stacks.Budget container = Stacks.Budget.of(conf(
                "spark.master",
                "yarn",
                "spark.executor.cores",
                "4",
                "spark.task.cpus",
                "2",
                "spark.executor.memory",
                "4g",
                "spark.executor.memoryOverhead",
                "2048"));
        assertEquals(6L << 30, container.bound());
        assertEquals(2, container.concurrent());
        assertEquals(
                (1024L + 384) << 20,
                Stacks.Budget.of(conf("spark.master", "yarn")).bound());
    }
}
