package dev.gradsweep.store;

import dev.gradsweep.config.RuntimeOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What the lock tests share: fast lock settings in this JVM (a stale interval of 1 s), a directory, stderr. */
abstract class LockTestBase {
    static final String ELSEWHERE = "elsewhere.invalid"; // a host name no machine has: judged by its heartbeat only

    @TempDir
    Path tmp;

    final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    final PrintStream err = new PrintStream(errBytes, true);

    @BeforeEach
    void fastLocks() {
        System.setProperty(RuntimeOptions.LOCK_STALE.key(), "1000");
        System.setProperty(RuntimeOptions.LOCK_HEARTBEAT.key(), "100");
    }

    @AfterEach
    void defaultLocks() {
        System.clearProperty(RuntimeOptions.LOCK_STALE.key());
        System.clearProperty(RuntimeOptions.LOCK_HEARTBEAT.key());
    }

    static Path lockFile(Path dir, long gen) {
        return dir.resolve("_lock." + gen);
    }

    /** The lock files in {@code dir}, sorted by name. */
    static List<String> lockFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(OutputLock::isLockFile)
                    .sorted()
                    .toList();
        }
    }
}
