package dev.gradsweep.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every runtime option of gradsweep beside its default and unit, in one place (grid keys are in
 * {@code grid.GridKeys}, analysis thresholds in jobs/sql/00_params.sql). Three kinds:
 * <ul>
 *   <li>JVM system properties that the code reads ({@link #get});</li>
 *   <li>values the launchers pass (heap, process bound, executor sizes): {@code conf/defaults.sh} and
 *       {@code conf/spark-defaults.conf.template} are generated from here by {@code gradsweep options} and a test
 *       fails when they drift;</li>
 *   <li>the JVM flags every gradsweep JVM needs (Spark's Java 17 module opens, the Vector API module), which the
 *       pom's test runner and the launchers use.</li>
 * </ul>
 */
public final class RuntimeOptions {
    /** One option: its key (system property, environment variable or Spark key), default, unit and documentation. */
    public record Option(String key, String defaultValue, String unit, String doc) {}

    private static final Map<String, Option> ALL = new LinkedHashMap<>();

    // --- system properties read by the code -------------------------------------------------------------------
    /** Process resident-size bound at which {@code MemoryGuard} forces a collection (k/m/g suffix); 0 = none. */
    public static final Option MAX_RSS = add(
            "gradsweep.maxRss",
            "0",
            "bytes (k/m/g)",
            "resident-size bound checked once a training step; above it a GC frees ND4J's native buffers (0: no bound;"
                    + " the launchers set it, see GRADSWEEP_MAX_RSS and EXECUTOR_MAX_RSS)");
    /** SIMD loops of the statistics (need --add-modules=jdk.incubator.vector). */
    public static final Option SIMD = add(
            "gradsweep.simd",
            "true",
            "boolean",
            "statistics use the Vector API loops where the module is present (false: scalar loops, same numbers up to"
                    + " summation order)");
    /** The float32 parameter step on host memory instead of ND4J's subi. */
    public static final Option HOST_STEP = add(
            "gradsweep.hostStep",
            "true",
            "boolean",
            "float32 parameter step as one Java pass over host memory that also reduces the update (false: ND4J's subi)");
    /** The host path's 3 × 3 stride-1 float32 convolutions as Winograd's F(4 × 4, 3 × 3) (conv.kernel.Winograd). */
    public static final Option WINOGRAD = add(
            "gradsweep.winograd",
            "true",
            "boolean",
            "conv nets' 3 × 3 stride-1 float32 convolutions on the host as Winograd's F(4×4, 3×3): 4× fewer products,"
                    + " a rounding error of its own (false: direct sums, ≈ 1.4× slower conv steps)");
    /** Statistics and parameter step through ND4J ops only; always on for a non-CPU backend. */
    public static final Option PORTABLE = add(
            "gradsweep.portable",
            "false",
            "boolean",
            "statistics as ND4J reductions with one bulk transfer of their results, no direct host-memory access (always"
                    + " on for a non-CPU backend such as CUDA; true forces it on the CPU)");
    /** How much of an executor's memory bound its concurrent stacks may take (sweep.Stacks sizes them by it). */
    public static final Option STACK_MEMORY_SHARE = add(
            "gradsweep.stackMemoryShare",
            "0.5",
            "fraction",
            "share of an executor's memory bound (gradsweep.maxRss, else its heap or container size) that its"
                    + " concurrent stacks may take, counted from the stacked engine's buffers; the rest is the heap in"
                    + " use, Spark, the Parquet writers and the guard's slack. Stacks of wide nets get fewer runs");

    /** The sweep's commit batches: few snapshots for a large sweep, yet no finished run waits long. */
    public static final Option COMMIT_RUNS = add(
            "gradsweep.commitRuns",
            "1000",
            "runs",
            "the sweep's driver commits a batch of finished tasks once this many runs are pending (fewer, larger"
                    + " commits keep the tables' metadata small)");

    public static final Option COMMIT_INTERVAL = add(
            "gradsweep.commitIntervalMs",
            "5000",
            "ms",
            "the longest a finished task waits for its commit: a batch is committed this long after its first task"
                    + " finished, however few runs it holds");

    /** The writers' lock (store.OutputLock): how long a silent lock takes to count as stale, and how often it beats. */
    public static final Option LOCK_STALE = add(
            "gradsweep.lockStaleMs",
            "60000",
            "ms",
            "a writer's lock whose heartbeat a contender sees stand still this long (on the contender's own clock) is"
                    + " taken over; at least twice gradsweep.lockHeartbeatMs, the same on every host writing an output");

    public static final Option LOCK_HEARTBEAT = add(
            "gradsweep.lockHeartbeatMs",
            "5000",
            "ms",
            "how often the writer holding a lock touches it and checks that it still holds it");

    /** Failures a user can act on (a full disk, a damaged output) print one paragraph; this adds the stack trace. */
    public static final Option STACK_TRACE = add(
            "gradsweep.stackTrace",
            "false",
            "boolean",
            "the CLI prints the stack trace of a failure it explains in one paragraph (a full disk, a damaged output);"
                    + " crashes always print it");

    /** Test only: the crash tests' hook (store.CommitPoints). */
    public static final Option CRASH_AFTER = add(
            "gradsweep.test.crashAfter",
            "0",
            "operations",
            "test only: stop right after the k-th metadata operation of this JVM (Iceberg commit, file deletion, lock"
                    + " acquisition, takeover or release), or the first one of this name (e.g. 'expire params'), with an"
                    + " exception (0: never)");

    public static final Option CRASH_HALT = add(
            "gradsweep.test.crashHalt",
            "false",
            "boolean",
            "test only: gradsweep.test.crashAfter halts the JVM (Runtime.halt, no finally block runs) instead of"
                    + " throwing");

    // --- launcher defaults (bin/gradsweep, jobs/submit-standalone.sh, the spark-defaults template) --------------
    public static final Option HEAP =
            add("GRADSWEEP_HEAP", "3g", "bytes (k/m/g)", "bin/gradsweep: the JVM heap (-Xmx)");
    public static final Option LOCAL_MAX_RSS = add(
            "GRADSWEEP_MAX_RSS",
            "6g",
            "bytes (k/m/g)",
            "bin/gradsweep: gradsweep.maxRss of the local process (keep it above the heap)");
    public static final Option THREADS = add(
            "OMP_NUM_THREADS", "1", "threads", "OpenMP threads per training task; threads x concurrent tasks <= cores");
    public static final Option EXECUTOR_MEMORY = add(
            "spark.executor.memory", "4g", "bytes (k/m/g)", "executor heap; ND4J's native buffers come on top of it");
    public static final Option EXECUTOR_MEMORY_OVERHEAD = add(
            "spark.executor.memoryOverhead", "2g", "bytes (k/m/g)", "room beside the heap for ND4J's off-heap arrays");
    public static final Option EXECUTOR_MAX_RSS = add(
            "EXECUTOR_MAX_RSS",
            "5g",
            "bytes (k/m/g)",
            "gradsweep.maxRss of executors: below executor memory + overhead, so the guard acts before the container"
                    + " limit");
    public static final Option EXECUTOR_CORES = add(
            "spark.executor.cores",
            "4",
            "cores",
            "cores per executor in the spark-defaults template (the submit script uses THREADS_PER_TASK)");
    public static final Option RUNS_PER_GPU = add(
            "RUNS_PER_GPU",
            "1",
            "runs",
            "jobs/submit-gpu.sh: concurrent runs (tasks) sharing one GPU, spark.task.resource.gpu.amount = 1/RUNS_PER_GPU");
    public static final Option GPUS_PER_EXECUTOR = add(
            "GPUS_PER_EXECUTOR",
            "1",
            "GPUs",
            "jobs/submit-gpu.sh: spark.executor.resource.gpu.amount; the executor gets GPUs x RUNS_PER_GPU task slots");

    /** Spark's own Java 17 flags (org.apache.spark.launcher.JavaModuleOptions): any JVM spark-submit did not start. */
    public static final List<String> SPARK_JAVA17_FLAGS = sparkFlags();
    /** The statistics' SIMD loops need the incubating Vector API module. */
    public static final List<String> SIMD_FLAGS = List.of("--add-modules=jdk.incubator.vector");
    /** JavaCPP's per-allocation bound reads /proc/self/statm on every allocation; MemoryGuard bounds memory instead. */
    public static final List<String> JAVACPP_FLAGS = List.of("-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");

    private RuntimeOptions() {}

    private static Option add(String key, String def, String unit, String doc) {
        Option o = new Option(key, def, unit, doc);
        ALL.put(key, o);
        return o;
    }

    private static List<String> sparkFlags() {
        List<String> f = new ArrayList<>(List.of("-XX:+IgnoreUnrecognizedVMOptions"));
        for (String p : List.of(
                "java.lang",
                "java.lang.invoke",
                "java.lang.reflect",
                "java.io",
                "java.net",
                "java.nio",
                "java.util",
                "java.util.concurrent",
                "java.util.concurrent.atomic",
                "jdk.internal.ref",
                "sun.nio.ch",
                "sun.nio.cs",
                "sun.security.action",
                "sun.util.calendar")) f.add("--add-opens=java.base/" + p + "=ALL-UNNAMED");
        f.add("--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED");
        f.add("-Djdk.reflect.useDirectMethodHandle=false");
        return Collections.unmodifiableList(f);
    }

    public static Map<String, Option> all() {
        return Collections.unmodifiableMap(ALL);
    }

    /** The system property's value, or its default. */
    public static String get(Option o) {
        return System.getProperty(o.key(), o.defaultValue());
    }

    /** The system property as a positive number; {@link BadInputException} naming the key otherwise. */
    public static long positive(Option o) {
        String v = get(o).strip();
        try {
            long n = Long.parseLong(v);
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadInputException(o.key() + "=" + v + ": not a positive whole number (" + o.unit() + ")");
    }

    public static boolean flag(Option o) {
        return Boolean.parseBoolean(get(o).strip());
    }

    /** Bytes of "123", "64k", "6g" (JavaCPP's suffixes); {@link IllegalArgumentException} naming the key otherwise. */
    public static long bytes(Option o, String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (!v.isEmpty() && "kmgt".indexOf(v.charAt(v.length() - 1)) >= 0) {
            mult = 1L << (10 * ("kmgt".indexOf(v.charAt(v.length() - 1)) + 1));
            v = v.substring(0, v.length() - 1);
        }
        try {
            return Long.parseLong(v) * mult;
        } catch (NumberFormatException e) {
            throw new BadInputException(o.key() + "=" + value + ": not a size (bytes, or a number with k, m, g or t)");
        }
    }

    /** Shell assignments sourced by bin/gradsweep and jobs/submit-standalone.sh (conf/defaults.sh). */
    public static String shellDefaults() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Generated from dev.gradsweep.config.RuntimeOptions by `bin/gradsweep options --format sh`;\n")
                .append("# RuntimeOptionsTest fails when this file and the class disagree. Do not edit by hand.\n");
        line(sb, "GRADSWEEP_DEFAULT_HEAP", HEAP.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_MAX_RSS", LOCAL_MAX_RSS.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_THREADS", THREADS.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_EXECUTOR_MEMORY", EXECUTOR_MEMORY.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_EXECUTOR_MEMORY_OVERHEAD", EXECUTOR_MEMORY_OVERHEAD.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_EXECUTOR_MAX_RSS", EXECUTOR_MAX_RSS.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_RUNS_PER_GPU", RUNS_PER_GPU.defaultValue());
        line(sb, "GRADSWEEP_DEFAULT_GPUS_PER_EXECUTOR", GPUS_PER_EXECUTOR.defaultValue());
        line(sb, "GRADSWEEP_SPARK_JAVA17_FLAGS", String.join(" ", SPARK_JAVA17_FLAGS));
        line(sb, "GRADSWEEP_SIMD_FLAGS", String.join(" ", SIMD_FLAGS));
        line(sb, "GRADSWEEP_JAVACPP_FLAGS", String.join(" ", JAVACPP_FLAGS));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, String value) {
        sb.append(name).append("='").append(value).append("'\n");
    }

    /** $SPARK_HOME/conf/spark-defaults.conf for a cluster that runs gradsweep (conf/spark-defaults.conf.template). */
    public static String sparkDefaults() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Template for $SPARK_HOME/conf/spark-defaults.conf on a cluster that runs gradsweep.\n")
                .append(
                        "# Generated from dev.gradsweep.config.RuntimeOptions by `bin/gradsweep options --format spark-defaults`.\n")
                .append(
                        "# Rule: OpenMP threads x concurrent tasks per machine <= cores. One thread per task suits small networks.\n");
        conf(sb, "spark.executorEnv.OMP_NUM_THREADS", THREADS.defaultValue());
        conf(sb, "spark.task.cpus", THREADS.defaultValue());
        conf(sb, EXECUTOR_CORES.key(), EXECUTOR_CORES.defaultValue());
        conf(sb, EXECUTOR_MEMORY.key(), EXECUTOR_MEMORY.defaultValue());
        sb.append(
                        "# ND4J keeps its arrays off-heap: leave room for them beside the heap; gradsweep.maxRss makes the executor\n")
                .append(
                        "# force a GC (which frees ND4J's per-op native buffers) before it outgrows heap + overhead.\n");
        conf(sb, EXECUTOR_MEMORY_OVERHEAD.key(), EXECUTOR_MEMORY_OVERHEAD.defaultValue());
        sb.append("# --add-modules turns on the statistics' SIMD loops (scalar without it).\n");
        conf(
                sb,
                "spark.executor.extraJavaOptions",
                String.join(" ", JAVACPP_FLAGS) + " -D" + MAX_RSS.key() + "=" + EXECUTOR_MAX_RSS.defaultValue() + " "
                        + String.join(" ", SIMD_FLAGS));
        sb.append(
                "# Each run is one task; speculation would train a run twice (harmless: its files are replaced whole).\n");
        conf(sb, "spark.speculation", "false");
        sb.append("# GPUs (build with mvn -Pcuda,cluster clean package):\n")
                .append("# spark.worker.resource.gpu.amount              1\n")
                .append("# spark.worker.resource.gpu.discoveryScript     /path/to/gradsweep/conf/gpu-discovery.sh\n")
                .append("# spark.executor.resource.gpu.amount            1\n")
                .append("# spark.executor.resource.gpu.discoveryScript   /path/to/gradsweep/conf/gpu-discovery.sh\n")
                .append("# spark.task.resource.gpu.amount                1\n")
                .append(
                        "# (1/k lets k runs share a GPU: 0.5, 0.25, ...; jobs/submit-gpu.sh sets it from RUNS_PER_GPU)\n");
        return sb.toString();
    }

    private static void conf(StringBuilder sb, String key, String value) {
        sb.append(String.format("%-35s %s%n", key, value));
    }

    /** One line per option for {@code gradsweep options}. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        ALL.values()
                .forEach(o -> sb.append(
                        String.format("  %-31s %-6s %-14s %s%n", o.key(), o.defaultValue(), o.unit(), o.doc())));
        return sb.toString();
    }
}
