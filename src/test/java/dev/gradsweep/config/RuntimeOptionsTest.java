package dev.gradsweep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every runtime default lives in {@link RuntimeOptions}; the files that launchers read are generated from it and
 * must not drift, and no launcher may write a default of its own.
 */
class RuntimeOptionsTest {
    static final Path ROOT = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));

    @Test
    void aCommitIntervalThatIsNotAPositiveNumberIsRefusedByName() {
        String key = RuntimeOptions.COMMIT_INTERVAL.key();
        try {
            for (String bad : new String[] {"abc", "0", "-5", "1.5"}) {
                System.setProperty(key, bad);
                BadInputException e = assertThrows(
                        BadInputException.class, () -> RuntimeOptions.positive(RuntimeOptions.COMMIT_INTERVAL));
                assertTrue(e.getMessage().startsWith(key + "=" + bad + ":"), e.getMessage());
            }
            System.setProperty(key, " 200 ");
            assertEquals(200, RuntimeOptions.positive(RuntimeOptions.COMMIT_INTERVAL));
        } finally {
            System.clearProperty(key);
        }
        assertEquals(5000, RuntimeOptions.positive(RuntimeOptions.COMMIT_INTERVAL));
    }

    /** Changing a default is a decision: it must be made here as well (the way Trino records config defaults). */
    @Test
    void recordedDefaults() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("gradsweep.maxRss", "0");
        expected.put("gradsweep.simd", "true");
        expected.put("gradsweep.hostStep", "true");
        expected.put("gradsweep.winograd", "true");
        expected.put("gradsweep.portable", "false");
        expected.put("gradsweep.stackMemoryShare", "0.5");
        expected.put("gradsweep.commitRuns", "1000");
        expected.put("gradsweep.commitIntervalMs", "5000");
        expected.put("gradsweep.lockStaleMs", "60000");
        expected.put("gradsweep.lockHeartbeatMs", "5000");
        expected.put("gradsweep.stackTrace", "false");
        expected.put("gradsweep.test.crashAfter", "0");
        expected.put("gradsweep.test.crashHalt", "false");
        expected.put("GRADSWEEP_HEAP", "3g");
        expected.put("GRADSWEEP_MAX_RSS", "6g");
        expected.put("OMP_NUM_THREADS", "1");
        expected.put("spark.executor.memory", "4g");
        expected.put("spark.executor.memoryOverhead", "2g");
        expected.put("EXECUTOR_MAX_RSS", "5g");
        expected.put("spark.executor.cores", "4");
        expected.put("RUNS_PER_GPU", "1");
        expected.put("GPUS_PER_EXECUTOR", "1");
        Map<String, String> actual = new LinkedHashMap<>();
        RuntimeOptions.all().values().forEach(o -> actual.put(o.key(), o.defaultValue()));
        assertEquals(expected, actual);
    }

    @Test
    void executorBoundSitsBetweenHeapAndContainer() {
        long heap = RuntimeOptions.bytes(RuntimeOptions.EXECUTOR_MEMORY, RuntimeOptions.EXECUTOR_MEMORY.defaultValue());
        long overhead = RuntimeOptions.bytes(
                RuntimeOptions.EXECUTOR_MEMORY_OVERHEAD, RuntimeOptions.EXECUTOR_MEMORY_OVERHEAD.defaultValue());
        long bound =
                RuntimeOptions.bytes(RuntimeOptions.EXECUTOR_MAX_RSS, RuntimeOptions.EXECUTOR_MAX_RSS.defaultValue());
        assertTrue(
                heap < bound && bound < heap + overhead,
                "executor maxRss must lie above the heap, below heap + overhead");
        long localHeap = RuntimeOptions.bytes(RuntimeOptions.HEAP, RuntimeOptions.HEAP.defaultValue());
        assertTrue(localHeap
                < RuntimeOptions.bytes(RuntimeOptions.LOCAL_MAX_RSS, RuntimeOptions.LOCAL_MAX_RSS.defaultValue()));
    }

    @Test
    void generatedFilesAreCurrent() throws IOException {
        assertEquals(
                RuntimeOptions.shellDefaults(),
                Files.readString(ROOT.resolve("conf/defaults.sh")),
                "conf/defaults.sh is stale: bin/gradsweep options --format sh > conf/defaults.sh");
        assertEquals(
                RuntimeOptions.sparkDefaults(),
                Files.readString(ROOT.resolve("conf/spark-defaults.conf.template")),
                "the template is stale: bin/gradsweep options --format spark-defaults > conf/spark-defaults.conf.template");
    }

    @Test
    void pomUsesTheSameJvmFlags() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        assertEquals(String.join(" ", RuntimeOptions.SPARK_JAVA17_FLAGS), property(pom, "spark.jvm.flags"));
        assertEquals(String.join(" ", RuntimeOptions.SIMD_FLAGS), property(pom, "simd.jvm.flags"));
    }

    /** Launchers take every default from conf/defaults.sh: no size, thread count or JVM flag list of their own. */
    @Test
    void launchersStateNoDefaultsOfTheirOwn() throws IOException {
        Pattern literalDefault = Pattern.compile(":-[0-9]+[kmgt]?\\}");
        for (String f : new String[] {"bin/gradsweep", "jobs/submit-standalone.sh", "jobs/submit-gpu.sh"}) {
            String script = Files.readString(ROOT.resolve(f));
            assertTrue(script.contains("conf/defaults.sh"), f + " must source conf/defaults.sh");
            Matcher m = literalDefault.matcher(script);
            assertFalse(m.find(), f + " writes a default of its own: " + (m.hitEnd() ? "" : m.group()));
            assertFalse(script.contains("--add-opens"), f + " lists JVM flags of its own");
            assertFalse(script.matches("(?s).*gradsweep-[0-9]+\\.[0-9]+.*"), f + " names a version");
        }
    }

    @Test
    void sizesParseWithSuffixesAndBadOnesNameTheKey() {
        assertEquals(6L << 30, RuntimeOptions.bytes(RuntimeOptions.HEAP, "6g"));
        assertEquals(1536L << 20, RuntimeOptions.bytes(RuntimeOptions.HEAP, "1536M"));
        assertEquals(1000, RuntimeOptions.bytes(RuntimeOptions.HEAP, "1000"));
        BadInputException e =
                assertThrows(BadInputException.class, () -> RuntimeOptions.bytes(RuntimeOptions.HEAP, "lots"));
        assertTrue(e.getMessage().startsWith("GRADSWEEP_HEAP=lots"), e.getMessage());
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">(.*?)</" + Pattern.quote(name) + ">", Pattern.DOTALL)
                .matcher(pom);
        assertTrue(m.find(), "pom.xml has no property " + name);
        return m.group(1).strip();
    }
}
