package dev.gradsweep.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gradsweep.config.BadInputException;
import dev.gradsweep.config.RuntimeOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The lock within one process: who is judged busy or stale, what release and takeover leave, where a configured
 * catalog's lock goes. Separate processes: {@link OutputLockProcessTest}. The stale interval is 1 s, not a minute.
 */
class OutputLockTest extends LockTestBase {

    /** Outputs of one configured catalog's namespace share one lock, in the namespace's directory. */
    @Test
    void aConfiguredCatalogsNamespaceLockExcludesASecondOutput() throws Exception {
        Path wh = tmp.resolve("warehouse");
        OutputDir one = new OutputDir(tmp.resolve("one").toString()),
                two = new OutputDir(tmp.resolve("two").toString());
        try (OutputLock a = OutputLock.acquire(one, catalog(one, "sweeps.quick", wh), "sweep one", err)) {
            BadInputException busy = assertThrows(
                    BadInputException.class,
                    () -> OutputLock.acquire(two, catalog(two, "sweeps.quick", wh), "sweep two", err));
            assertTrue(
                    busy.getMessage()
                            .startsWith("namespace sweeps.quick of catalog gradsweep is being written: sweep one by "),
                    busy.getMessage());
            // the lock is where the namespace's tables are, not in --out
            ResultTables tables = ResultTables.open(one, catalog(one, "sweeps.quick", wh), true);
            String runs = tables.table(Table.RUNS).location();
            Path tablesDir = Path.of(new org.apache.hadoop.fs.Path(runs).toUri().getPath())
                    .getParent();
            assertTrue(OutputLock.held(new OutputDir(tablesDir.toString())), tablesDir + " holds the lock");
            assertFalse(OutputLock.held(one));
            try (OutputLock b = OutputLock.acquire(two, catalog(two, "sweeps.other", wh), "sweep two", err)) {
                b.verify("another namespace, another lock");
            }
            a.verify("still held");
        }
    }

    /** A catalog that gives no path for the namespace: the lock falls back to --out, and says so. */
    @Test
    void aCatalogWithoutANamespacePathLocksTheOutputAndWarns() throws Exception {
        OutputDir one = new OutputDir(tmp.resolve("one").toString());
        Map<String, String> conf = Map.of(
                ResultTables.CATALOG_KEY,
                "org.apache.iceberg.spark.SparkCatalog",
                ResultTables.CATALOG_KEY + ".catalog-impl",
                "org.apache.iceberg.inmemory.InMemoryCatalog",
                ResultTables.NAMESPACE_KEY,
                "sweeps.quick");
        try (OutputLock a =
                OutputLock.acquire(one, ResultTables.CatalogSpec.of(one.location(), conf), "sweep one", err)) {
            assertTrue(OutputLock.held(one));
            assertTrue(
                    errBytes.toString().contains("the writers' lock covers only " + one.root()), errBytes.toString());
        }
    }

    /** An older gradsweep's {@code _lock} of another host: busy while its mtime moves, taken over once it stands still. */
    @Test
    void anOldStyleLockIsBusyWhileItBeatsAndTakenOverWhenItStops() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        OutputDir dir = new OutputDir(out.toString());
        Path old = Files.writeString(
                out.resolve("_lock"), "sweep quick by " + ELSEWHERE + " pid 4242 since 2026-12-01T10:54:13Z\n");
        Thread beat = new Thread(() -> {
            try {
                for (long t = 1; ; t++) {
                    Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.fromMillis(t * 1000));
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // stopped
            }
        });
        beat.start();
        BadInputException busy;
        try {
            busy = assertThrows(BadInputException.class, () -> OutputLock.acquire(dir, "compact"));
        } finally {
            beat.interrupt();
            beat.join();
        }
        assertTrue(
                busy.getMessage().startsWith("output " + out + " is being written: sweep quick by " + ELSEWHERE),
                busy.getMessage());
        assertTrue(busy.getMessage().contains("stood still for 1 s"), busy.getMessage());
        try (OutputLock lock = OutputLock.acquire(dir, "compact")) {
            assertEquals(List.of("_lock.1"), lockFiles(out), "the old lock is replaced by generation 1");
            lock.verify("repair");
        }
    }

    /** A live holder of this host is refused at once; release leaves a marker, and the next holder cleans up. */
    @Test
    void aLiveHolderOfThisHostIsBusyAndReleaseHandsOnTheNextGeneration() throws Exception {
        Path out = tmp.resolve("out");
        OutputDir dir = new OutputDir(out.toString());
        try (OutputLock first = OutputLock.acquire(dir, "sweep quick")) {
            BadInputException busy = assertThrows(BadInputException.class, () -> OutputLock.acquire(dir, "compact"));
            assertTrue(
                    busy.getMessage()
                            .contains("is being written: sweep quick by "
                                    + InetAddress.getLocalHost().getHostName() + " pid "
                                    + ProcessHandle.current().pid() + " since "),
                    busy.getMessage());
            assertEquals("", errBytes.toString(), "no watching: a running process of this host is alive");
        }
        assertEquals(List.of("_lock.1", "_lock.1.released"), lockFiles(out));
        assertFalse(OutputLock.held(dir));
        try (OutputLock second = OutputLock.acquire(dir, "compact")) {
            assertEquals(List.of("_lock.2"), lockFiles(out));
        }
    }

    /** A holder this host cannot judge by its process (here: its lock claims another host) is alive while it beats. */
    @Test
    void aHolderJudgedByItsHeartbeatIsBusyWhileItBeats() throws Exception {
        Path out = tmp.resolve("out");
        OutputDir dir = new OutputDir(out.toString());
        try (OutputLock holder = OutputLock.acquire(dir, "sweep far")) {
            Path file = lockFile(out, 1);
            String text = Files.readString(file);
            Files.writeString(file, text.replaceFirst(" by \\S+ pid", " by " + ELSEWHERE + " pid"));
            BadInputException busy = assertThrows(
                    BadInputException.class,
                    () -> OutputLock.acquire(
                            dir, ResultTables.CatalogSpec.of(dir.location(), Map.of()), "compact", err));
            assertTrue(busy.getMessage().contains("is being written: sweep far by " + ELSEWHERE), busy.getMessage());
            assertTrue(errBytes.toString().contains("watching its heartbeat for up to 1 s"), errBytes.toString());
            holder.verify("still held");
        }
    }

    /** Another writer's generation appears: the heartbeat notices, verify refuses, close leaves the new lock. */
    @Test
    void theHeartbeatNoticesALostLockAndCloseLeavesTheNewHoldersLock() throws Exception {
        Path out = tmp.resolve("out");
        OutputDir dir = new OutputDir(out.toString());
        OutputLock lock =
                OutputLock.acquire(dir, ResultTables.CatalogSpec.of(dir.location(), Map.of()), "compact", err);
        String taker = "sweep q by " + ELSEWHERE + " pid 7 since " + Instant.now();
        Files.writeString(lockFile(out, 2), taker + "\ntoken theirs\n"); // what a takeover creates
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!errBytes.toString().contains("stopped before its next deletion") && System.nanoTime() < deadline)
            Thread.sleep(20);
        assertTrue(
                errBytes.toString()
                        .startsWith("gradsweep: compact stopped before its next deletion: it no longer"
                                + " holds the lock on output " + out + ": " + taker + " took it over"),
                errBytes.toString());
        LockLostException e = assertThrows(LockLostException.class, () -> lock.verify("expiring snapshots"));
        assertTrue(e.getMessage().startsWith("compact stopped before expiring snapshots:"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was deleted"), e.getMessage());
        lock.close();
        assertEquals(List.of("_lock.1", "_lock.2"), lockFiles(out), "no release of another writer's lock");
        assertTrue(OutputLock.held(dir));
    }

    /** A lock file of this very process that none of its locks holds: an acquisition failed after creating it. */
    @Test
    void aLockThisProcessAbandonedIsTakenOverAtOnce() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(
                lockFile(out, 1),
                "sweep x by " + InetAddress.getLocalHost().getHostName() + " pid "
                        + ProcessHandle.current().pid() + " since " + Instant.now() + "\ntoken abandoned\n");
        try (OutputLock lock = OutputLock.acquire(new OutputDir(out.toString()), "sweep x")) {
            assertEquals(List.of("_lock.2"), lockFiles(out));
        }
    }

    @Test
    void aStaleIntervalShorterThanTwoHeartbeatsIsRefusedByName() {
        System.setProperty(RuntimeOptions.LOCK_STALE.key(), "150");
        BadInputException e =
                assertThrows(BadInputException.class, () -> OutputLock.acquire(new OutputDir(tmp.toString()), "sweep"));
        assertTrue(
                e.getMessage()
                        .startsWith("gradsweep.lockStaleMs=150 must be at least twice gradsweep.lockHeartbeatMs=100"),
                e.getMessage());
    }

    private static ResultTables.CatalogSpec catalog(OutputDir out, String namespace, Path warehouse) {
        return ResultTables.CatalogSpec.of(
                out.location(),
                Map.of(
                        ResultTables.CATALOG_KEY,
                        "org.apache.iceberg.spark.SparkCatalog",
                        ResultTables.CATALOG_KEY + ".type",
                        "hadoop",
                        ResultTables.CATALOG_KEY + ".warehouse",
                        warehouse.toString(),
                        ResultTables.NAMESPACE_KEY,
                        namespace));
    }
}
