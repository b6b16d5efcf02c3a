package dev.gradsweep.train.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.data.TaskData;
import dev.gradsweep.data.Tasks;
import dev.gradsweep.grid.Activation;
import dev.gradsweep.grid.Init;
import dev.gradsweep.grid.Norm;
import dev.gradsweep.grid.Placement;
import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.grid.Skip;
import dev.gradsweep.grid.TaskSpec;
import dev.gradsweep.grid.TrainSpec;
import dev.gradsweep.stats.RunRecorder;
import dev.gradsweep.train.RunOutcome;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@link StackMemory}'s count of a run's share of a stack, by hand and against the buffers of real stacks. */
class StackMemoryTest {
    private static RunConfig run(
            int depth,
            Norm norm,
            Placement placement,
            Skip skip,
            TrainSpec.Optimizer opt,
            TrainSpec.DType dt,
            int seed) {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 5, 2, 16, TaskSpec.Objective.REGRESSION, null, null, List.of());
        return new RunConfig(
                "t",
                depth,
                16,
                Activation.TANH,
                Init.parse("xavier"),
                norm,
                placement,
                skip,
                task,
                new TrainSpec(2, 8, opt, 0.01, "none", dt),
                seed);
    }

    @Test
    void aSmallMlpCountedByHand() {
        TaskSpec task =
                new TaskSpec(TaskSpec.Kind.TEACHER, 5, 1, 64, TaskSpec.Objective.REGRESSION, null, null, List.of());
        RunConfig rc = new RunConfig(
                "t",
                2,
                3,
                Activation.TANH,
                Init.parse("xavier"),
                Norm.NONE,
                Placement.NA,
                Skip.NONE,
                task,
                new TrainSpec(4, 8, TrainSpec.Optimizer.ADAM, 0.01, "none", TrainSpec.DType.FLOAT32),
                1);
        // parameters 5·3+3 + 3·3+3 + 3·1+1 = 34, with their gradients and Adam's two moments: 136 floats;
        // per example: layer 0 z, a (3 + 3), layer 1 z, a, ∂L/∂x (3 + 3 + 3), the output z, ∂L/∂x (1 + 3), x, y, dOut
        // (5 + 1 + 1) = 26, times batch 8 = 208 floats; (136 + 208) · 4 = 1376 bytes.
        // Host: outHost, yHost 2 · 8 · 1 doubles, task data 64 · (5 + 1) doubles: 400 · 8 = 3200; sample order 64 ints
        assertEquals(1376 + 3200 + 64 * 4, StackMemory.bytesPerRun(rc));
    }

    /**
     * Every architecture and optimizer, float32 and float64: a stack of 3 holds 3 times the count, and at most
     * {@link #BOOKKEEPING} bytes a run more (each run's optimizer factors and block taps, a few doubles; the stack's
     * index arrays). The nets are large enough that one [K, batch, width] buffer left out of the count, 512 bytes a
     * run, fails.
     */
    @Test
    void theCountIsWhatAStackAllocates() {
        Object[][] archs = {
            {Norm.NONE, Placement.NA, Skip.NONE},
            {Norm.LAYER, Placement.NA, Skip.NONE},
            {Norm.BATCH, Placement.NA, Skip.NONE},
            {Norm.LAYER, Placement.PRE, Skip.RESIDUAL},
            {Norm.LAYER, Placement.POST, Skip.RESIDUAL},
            {Norm.NONE, Placement.NA, Skip.HIGHWAY},
            {Norm.BATCH, Placement.PRE, Skip.REZERO}
        };
        int i = 0;
        for (Object[] a : archs) {
            TrainSpec.Optimizer opt = TrainSpec.Optimizer.values()[i % 3];
            TrainSpec.DType dt = i % 4 == 3 ? TrainSpec.DType.FLOAT64 : TrainSpec.DType.FLOAT32;
            i++;
            List<RunConfig> runs = new ArrayList<>();
            for (int seed = 0; seed < 3; seed++)
                runs.add(run(2, (Norm) a[0], (Placement) a[1], (Skip) a[2], opt, dt, seed));
            List<TaskData> data = new ArrayList<>();
            List<RunRecorder> recs = new ArrayList<>();
            List<RunOutcome> outs = new ArrayList<>();
            for (RunConfig r : runs) {
                data.add(Tasks.generate(r.task, r.seed));
                recs.add(RunRecorder.NONE);
                outs.add(new RunOutcome());
            }
            StackedMlp stack = new StackedMlp(runs, data, recs, outs);
            stack.step(); // any buffer made on first use is there too
            long counted = 3 * StackMemory.bytesPerRun(runs.get(0)), held = reachableBytes(stack);
            String what =
                    a[0] + "/" + a[1] + "/" + a[2] + " " + opt + " " + dt + ": held " + held + ", counted " + counted;
            assertTrue(held >= counted && held <= counted + 3 * BOOKKEEPING, what);
        }
    }

    static final int BOOKKEEPING = 64;

    /**
     * Bytes of the ND4J buffers and the primitive arrays reachable from {@code root} through gradsweep's own objects,
     * arrays and collections (each buffer once, views included in their buffer); the runs' outcomes are the caller's.
     */
    static long reachableBytes(Object root) {
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        long[] bytes = {0};
        walk(root, seen, bytes);
        return bytes[0];
    }

    private static void walk(Object o, Map<Object, Boolean> seen, long[] bytes) {
        if (o == null || o instanceof RunOutcome || seen.put(o, true) != null) return;
        if (o instanceof INDArray a) {
            if (a.isEmpty()) return;
            DataBuffer d = a.data().originalDataBuffer() != null ? a.data().originalDataBuffer() : a.data();
            if (seen.put(d, true) == null) bytes[0] += d.length() * d.getElementSize();
            return;
        }
        Class<?> c = o.getClass();
        if (c.isArray()) {
            Class<?> e = c.getComponentType();
            int n = Array.getLength(o);
            if (e == double.class || e == long.class) bytes[0] += 8L * n;
            else if (e == float.class || e == int.class) bytes[0] += 4L * n;
            else if (!e.isPrimitive()) for (int i = 0; i < n; i++) walk(Array.get(o, i), seen, bytes);
            return;
        }
        if (o instanceof Collection<?> col) {
            for (Object x : col) walk(x, seen, bytes);
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Object x : m.values()) walk(x, seen, bytes);
            return;
        }
        if (!c.getName().startsWith("dev.gradsweep.")) return;
        for (Class<?> k = c; k != null && k.getName().startsWith("dev.gradsweep."); k = k.getSuperclass())
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
                f.setAccessible(true);
                try {
                    walk(f.get(o), seen, bytes);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
    }
}
