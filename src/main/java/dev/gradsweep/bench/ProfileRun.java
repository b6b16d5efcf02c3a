package dev.gradsweep.bench;

import dev.gradsweep.grid.RunConfig;
import dev.gradsweep.store.OutputDir;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * {@code bench --profile}: trains one variant of one net for a number of steps after a warm-up, nothing else, so that
 * a profiler sees only that loop; optionally the steps are recorded by Flight Recorder (settings "profile", Java and
 * native-method samples every millisecond instead of every 10 / 20 ms).
 */
public final class ProfileRun {
    /**
     * Warm-up before a profile starts, at least this many steps and seconds: JIT compilation (C2 was still busy with
     * SameDiff's executor after 100 steps), workspaces and first allocations settle.
     */
    public static final int WARMUP_STEPS = 100, WARMUP_SECONDS = 20;

    private ProfileRun() {}

    /**
     * @param nets    the name prefix that selects exactly one reference net
     * @param variant one of {@link BenchVariants#ALL}
     * @param jfr     null, or where to write the Flight Recorder recording of the measured steps
     * @param scratch where the Parquet files of a variant with statistics go
     */
    public static void run(String nets, String variant, int steps, Path jfr, Path scratch, PrintStream err)
            throws IOException {
        Map<String, RunConfig> selected = BenchNets.selected(nets);
        if (selected.size() != 1)
            throw new IllegalArgumentException("--profile needs --nets to select exactly one net of "
                    + BenchNets.referenceNets().keySet() + "; '" + nets + "' selects " + selected.size());
        Map.Entry<String, RunConfig> net = selected.entrySet().iterator().next();
        try (BenchVariants v = new BenchVariants(net.getValue(), new OutputDir(scratch.toString()))) {
            Runnable step = v.of(variant);
            // JFR's first start in a process throws away all compiled code; the recompiled, still slower code then
            // filled the first seconds of the measured steps. Start it before the warm-up instead.
            Recording primer = new Recording();
            if (jfr != null) primer.start();
            long warm = System.nanoTime();
            for (int i = 0; i < WARMUP_STEPS || System.nanoTime() - warm < WARMUP_SECONDS * 1_000_000_000L; i++)
                step.run();
            Recording recording = null;
            if (jfr != null) {
                try {
                    recording = new Recording(Configuration.getConfiguration("profile"));
                } catch (java.text.ParseException e) {
                    throw new IOException("JFR's built-in 'profile' settings", e);
                }
                recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
                recording.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(1));
                recording.setDestination(jfr);
                recording.start();
            }
            // a native profiler attached from outside (perf record -p) starts at this line
            err.println("profile: warm-up done, measuring " + steps + " steps");
            double ms = StepTimer.msPerStep(step, steps);
            if (recording != null) {
                recording.stop(); // writes the recording to its destination
                recording.close();
            }
            primer.close();
            err.println(String.format(
                    Locale.ROOT,
                    "profile: %s %s: %d steps, %.2f ms/step%s",
                    net.getKey(),
                    variant,
                    steps,
                    ms,
                    jfr == null ? "" : ", recorded to " + jfr));
        }
    }
}
