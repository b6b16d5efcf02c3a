package dev.gradsweep.sweep;

import dev.gradsweep.config.RuntimeOptions;
import dev.gradsweep.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A crash case's command run as a user runs it, {@code dev.gradsweep.cli.Main} in a JVM of its own, halted. */
final class CrashChild {
    /** {@code -Pcrash-exhaustive}: every operation of every case, in place of a sample. */
    static final boolean EXHAUSTIVE = Boolean.getBoolean("gradsweep.test.crashExhaustive");
    /** The cases the exhaustive run halts a JVM at every operation of (SWEEP alone is ~34 JVMs). */
    static final List<String> HALT_CASES =
            List.of(System.getProperty("gradsweep.test.crashHaltCases", "SWEEP,MULTI,RESUME,COMPACT,MIGRATE")
                    .split(","));

    private CrashChild() {}

    /**
     * Runs the case's command in a JVM of its own, halted after its k-th operation or the first of a name
     * ({@code at}: gradsweep.test.crashAfter); its exit status.
     */
    static int run(CrashCases.Case c, Path out, String at, Path log) throws Exception {
        List<String> flags = new ArrayList<>();
        // the test JVM's Spark settings (the pom's test.spark.conf), so the child's session is configured alike
        System.getProperties().stringPropertyNames().stream()
                .filter(p -> p.startsWith("spark."))
                .forEach(p -> flags.add("-D" + p + "=" + System.getProperty(p)));
        c.props().forEach((p, v) -> flags.add("-D" + p + "=" + v));
        flags.add("-D" + RuntimeOptions.CRASH_AFTER.key() + "=" + at);
        flags.add("-D" + RuntimeOptions.CRASH_HALT.key() + "=true");
        List<String> cmd = ChildJvm.command("-Xmx1g", flags, "dev.gradsweep.cli.Main", c.args(out));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the child ran 5 minutes: " + Files.readString(log));
        }
        return p.exitValue();
    }
}
