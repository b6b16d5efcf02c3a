package dev.gradsweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Only the seam's host-direct side reads or writes an ND4J array's host memory; everything else goes through
 * {@code stats.TrainingMemory}, so the portable path (CUDA) can never be bypassed by a stray host access.
 */
class HostAccessTest {
    /**
     * The host-direct side of the seam and the host-memory readers it is built on; and the recurrent engine's gate
     * loops, which exist only on the host and refuse any backend but the CPU.
     */
    static final Set<String> ALLOWED = Set.of(
            "dev/gradsweep/hostmem/HostArray.java",
            "dev/gradsweep/hostmem/HostMemory.java",
            "dev/gradsweep/stats/HostDirectMemory.java",
            "dev/gradsweep/stats/ParamStep.java",
            "dev/gradsweep/recurrent/HostBuf.java");
    /** Ways into host memory: NIO views of a data buffer, raw pointers, the host readers and their offsets. */
    static final Pattern HOST_ACCESS = Pattern.compile(
            "\\.asNio\\w*\\s*\\(|\\.addressPointer\\s*\\(|\\.pointer\\s*\\(\\s*\\)|HostArray\\s*\\.\\s*of\\s*\\(|new\\s+HostArray\\s*\\(|HostMemory\\s*\\.");

    static final Pattern COMMENT = Pattern.compile("//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);

    static Map<String, String> mainSources() throws IOException {
        Map<String, String> src = new TreeMap<>();
        try (Stream<Path> files = Files.walk(ArchitectureTest.MAIN)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator)
                src.put(ArchitectureTest.MAIN.relativize(f).toString().replace('\\', '/'), Files.readString(f));
        }
        return src;
    }

    /** "file: matched text" for every host access outside {@link #ALLOWED}; comments do not count. */
    static List<String> violations(Map<String, String> sources) {
        List<String> out = new ArrayList<>();
        sources.forEach((file, text) -> {
            if (ALLOWED.contains(file)) return;
            Matcher m = HOST_ACCESS.matcher(COMMENT.matcher(text).replaceAll(""));
            while (m.find()) out.add(file + ": " + m.group());
        });
        return out;
    }

    @Test
    void onlyTheHostDirectPathTouchesHostMemory() throws IOException {
        Map<String, String> src = mainSources();
        assertTrue(
                src.containsKey("dev/gradsweep/train/TrainLoop.java")
                        && src.keySet().containsAll(ALLOWED),
                "found the sources: " + src.size());
        assertEquals(List.of(), violations(src));
    }

    /** The scan catches each kind of access when it is added to an engine class, and ignores it in a comment. */
    @Test
    void theScanFailsWhenAnEngineTouchesHostMemory() throws IOException {
        Map<String, String> src = mainSources();
        String loop = "dev/gradsweep/train/TrainLoop.java", stack = "dev/gradsweep/train/stack/StackedMlp.java";
        for (String use : List.of(
                "flatGrad.data().asNioFloat()",
                "flatGrad.data().asNio()",
                "HostArray.of(flatGrad)",
                "HostMemory.offset(flatGrad)",
                "flatGrad.data().addressPointer()",
                "new HostArray(1, 1, false) {}")) {
            for (String file : List.of(loop, stack)) {
                Map<String, String> changed = new TreeMap<>(src);
                String text = changed.get(file);
                int end = text.lastIndexOf('}');
                changed.put(file, text.substring(0, end) + "    void leak() { Object o = " + use + "; }\n}\n");
                assertEquals(
                        List.of(file),
                        violations(changed).stream()
                                .map(v -> v.substring(0, v.indexOf(':')))
                                .toList(),
                        use + " in " + file);
            }
        }
        Map<String, String> commented = new TreeMap<>(src);
        commented.put(loop, src.get(loop) + "\n// HostArray.of(x) would read stale memory on CUDA\n");
        assertEquals(List.of(), violations(commented));
    }
}
