package dev.gradsweep.testkit;

import dev.gradsweep.config.RuntimeOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a JVM of its own on the test classpath: a CLI command, a lock holder, a writer to halt. */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * {@code java} with {@code heap}, the client compiler and the serial collector (a short-lived JVM that trains
     * little: they cost it less CPU and change no result, as the cluster test's non-training JVMs), the flags
     * bin/gradsweep gives Spark, the SIMD statistics and JavaCPP, then {@code flags}, the test classpath, {@code main}
     * and {@code args}.
     */
    public static List<String> command(String heap, List<String> flags, String main, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap,
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC"));
        cmd.addAll(RuntimeOptions.SPARK_JAVA17_FLAGS);
        cmd.addAll(RuntimeOptions.SIMD_FLAGS);
        cmd.addAll(RuntimeOptions.JAVACPP_FLAGS);
        cmd.addAll(flags);
        cmd.addAll(List.of(
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), main));
        cmd.addAll(args);
        return cmd;
    }
}
