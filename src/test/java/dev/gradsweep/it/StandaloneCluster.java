package dev.gradsweep.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A real Spark standalone cluster on 127.0.0.1 for integration tests: one Master and N Workers as child JVMs,
 * plus {@link #submit} to run an application through {@code SparkSubmit} in client mode.
 *
 * <p>Needs {@code mvn package} output: {@code target/lib} (runtime jars) and the app jar. Everything lives in a
 * fresh directory under {@code target/} (logs, worker work dirs with executor stderr) so it survives for a
 * post-mortem; {@code mvn clean} removes it.
 */
public final class StandaloneCluster implements AutoCloseable {
    public static final String HOST = "127.0.0.1"; // loopback only
    public static final String MAIN_CLASS = "dev.gradsweep.cli.Main";
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    static final Duration STOP_GRACE = Duration.ofSeconds(10);
    static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(10);

    public final Path projectDir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .toAbsolutePath();
    public final Path libDir = projectDir.resolve("target/lib");
    // The pom passes the jar it built; overridable to run the same test against another build, e.g. the -cluster jar.
    public final Path appJar =
            Path.of(System.getProperty("gradsweep.it.appJar")).toAbsolutePath();
    public final Path dir;
    private final Path sparkHome;
    // The pom passes Spark's Java 17 flags as gradsweep.jvmFlags; outside Maven take them from Spark itself.
    private final List<String> jvmFlags =
            Arrays.asList(System.getProperty("gradsweep.jvmFlags", JavaModuleOptions.defaultModuleOptions())
                    .trim()
                    .split("\\s+"));
    private final String java =
            Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final List<Process> daemons = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopDaemons, "standalone-cluster-stop");
    private int masterPort, webUiPort, submits;
    private Path lastSubmitLog;

    private StandaloneCluster() throws IOException {
        if (!Files.isDirectory(libDir))
            throw new IllegalStateException(libDir + " missing: run `mvn -B package -DskipTests` first");
        dir = Files.createTempDirectory(projectDir.resolve("target"), "standalone-cluster-");
        sparkHome = dir.resolve("spark-home");
        Runtime.getRuntime().addShutdownHook(shutdownHook); // the test JVM may die before @AfterAll
    }

    /** Starts a master and {@code workers} workers (1 core, 2g each) and waits until all registered. */
    public static StandaloneCluster start(int workers) throws IOException, InterruptedException {
        StandaloneCluster c = new StandaloneCluster();
        try {
            c.launch(workers);
            return c;
        } catch (Throwable t) {
            c.close();
            throw t;
        }
    }

    public String masterUrl() {
        return "spark://" + HOST + ":" + masterPort;
    }

    public String webUiUrl() {
        return "http://" + HOST + ":" + webUiPort;
    }

    private void launch(int workers) throws IOException, InterruptedException {
        // Workers build executor classpaths from $SPARK_HOME/jars; our runtime jars stand in for a distribution.
        Files.createDirectories(sparkHome.resolve("jars"));
        try (Stream<Path> jars = Files.list(libDir)) {
            for (Path jar : (Iterable<Path>) jars.filter(p -> p.toString().endsWith(".jar"))::iterator)
                Files.createSymbolicLink(sparkHome.resolve("jars").resolve(jar.getFileName()), jar.toAbsolutePath());
        }
        int[] ports = freePorts(2 + 2 * workers);
        masterPort = ports[0];
        webUiPort = ports[1];
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        daemons.add(spawnDaemon(
                "master",
                List.of(
                        "-Dspark.master.rest.enabled=false",
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        HOST,
                        "--port",
                        "" + masterPort,
                        "--webui-port",
                        "" + webUiPort)));
        // Workers retry a failed registration only after 5-15 s, so let the master come up first.
        awaitAliveWorkers(0, deadline);
        for (int i = 0; i < workers; i++) {
            Path work = Files.createDirectories(dir.resolve("worker-" + i));
            daemons.add(spawnDaemon(
                    "worker-" + i,
                    List.of(
                            "org.apache.spark.deploy.worker.Worker",
                            "--host",
                            HOST,
                            "--port",
                            "" + ports[2 + 2 * i],
                            "--webui-port",
                            "" + ports[3 + 2 * i],
                            "--cores",
                            "1",
                            "--memory",
                            "2g",
                            "--work-dir",
                            work.toString(),
                            masterUrl())));
        }
        awaitAliveWorkers(workers, deadline);
    }

    private void awaitAliveWorkers(int n, long deadline) throws InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(webUiUrl() + "/json/"))
                .timeout(Duration.ofSeconds(5))
                .build();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            for (Process p : daemons)
                if (!p.isAlive())
                    throw new IllegalStateException(
                            "a cluster daemon exited with " + p.exitValue() + "\n" + diagnostics());
            try {
                JsonNode state = new ObjectMapper()
                        .readTree(http.send(req, HttpResponse.BodyHandlers.ofString())
                                .body());
                long alive = 0;
                for (JsonNode w : state.path("workers"))
                    if ("ALIVE".equals(w.path("state").asText())) alive++;
                if (alive >= n) return;
                last = alive + " alive workers";
            } catch (IOException e) {
                last = e.toString(); // master not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("cluster not ready after " + START_TIMEOUT.toSeconds() + " s (wanted " + n
                + " alive workers, last: " + last + ")\n" + diagnostics());
    }

    /** Submits the gradsweep jar ({@value #MAIN_CLASS}) with {@code appArgs}; returns spark-submit's exit code. */
    public int submit(List<String> appArgs, Map<String, String> conf) throws IOException, InterruptedException {
        return submit(appArgs, conf, List.of());
    }

    /**
     * As {@link #submit(List, Map)}, with {@code driverJvm} (e.g. {@code -Dgradsweep.commitIntervalMs=200}) on the
     * driver's command line: in client mode the spark-submit JVM is the driver, and it passes only spark.* keys of
     * {@code --conf} on as system properties.
     */
    public int submit(List<String> appArgs, Map<String, String> conf, List<String> driverJvm)
            throws IOException, InterruptedException {
        return submit(MAIN_CLASS, appJar, appArgs, conf, driverJvm, SUBMIT_TIMEOUT);
    }

    /**
     * Runs {@code SparkSubmit} in client mode in a child JVM (the driver), output to a log file, killed after
     * {@code timeout} (then IllegalStateException). {@code conf} entries override the defaults below.
     */
    public int submit(
            String mainClass,
            Path jar,
            List<String> appArgs,
            Map<String, String> conf,
            List<String> driverJvm,
            Duration timeout)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(jar))
            throw new IllegalStateException(jar + " missing: run `mvn -B package -DskipTests` first");
        String flags = String.join(" ", jvmFlags);
        Map<String, String> all = new LinkedHashMap<>();
        all.put("spark.driver.host", HOST);
        all.put("spark.driver.bindAddress", HOST);
        all.put("spark.ui.enabled", "false"); // no driver UI port to collide on
        all.put("spark.executor.extraJavaOptions", flags);
        all.put("spark.driver.extraJavaOptions", flags); // the driver JVM below already has them; kept for completeness
        all.put("spark.executorEnv.OMP_NUM_THREADS", "1"); // 1 OpenMP thread per 1-core executor
        all.put("spark.executor.memory", "1g");
        all.put("spark.executor.cores", "1");
        all.putAll(conf);
        List<String> args = new ArrayList<>(List.of(
                "org.apache.spark.deploy.SparkSubmit",
                "--master",
                masterUrl(),
                "--deploy-mode",
                "client",
                "--class",
                mainClass));
        all.forEach((k, v) -> args.addAll(List.of("--conf", k + "=" + v)));
        args.add(jar.toString());
        args.addAll(appArgs);
        List<String> jvm = new ArrayList<>(NON_TRAINING_JVM);
        jvm.addAll(driverJvm);
        Process p = spawn("submit-" + ++submits, "1g", jvm, args);
        lastSubmitLog = dir.resolve("submit-" + submits + ".log");
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
                throw new IllegalStateException("spark-submit still running after " + timeout + "\n" + diagnostics());
            return p.exitValue();
        } finally {
            stop(p); // no-op if it exited; also reaps anything it left behind
        }
    }

    /**
     * SIGKILLs the executor JVMs that worker {@code i} (0-based) launched, as a crashed machine would lose them; the
     * worker itself stays up and the master may give the application a new executor on it. Returns how many it killed.
     */
    public synchronized int killExecutors(int i) {
        Process worker = daemons.get(1 + i); // daemons: the master, then the workers in order
        List<ProcessHandle> executors = worker.descendants()
                .filter(h -> h.info()
                        .commandLine()
                        .map(c -> c.contains("CoarseGrainedExecutorBackend"))
                        .orElse(false))
                .collect(Collectors.toList());
        executors.forEach(ProcessHandle::destroyForcibly);
        return executors.size();
    }

    /**
     * The task ids (TIDs) that the executors of worker {@code i} (0-based) have started and not finished, from their
     * logs ({@code Executor: Running task 3.0 in stage 0.0 (TID 3)}, then {@code Finished task}).
     */
    public Set<String> runningTasks(int i) throws IOException {
        Set<String> running = new TreeSet<>();
        for (Path log : executorLogs()) {
            if (!dir.relativize(log).startsWith("worker-" + i)) continue;
            Set<String> inThisExecutor = new TreeSet<>(); // TIDs are per application; a log is one executor of one
            for (String line : Files.readAllLines(log, StandardCharsets.ISO_8859_1)) {
                Matcher m = TASK_EVENT.matcher(line);
                if (!m.find()) continue;
                if (m.group(1).equals("Running")) inThisExecutor.add(m.group(2));
                else inThisExecutor.remove(m.group(2));
            }
            running.addAll(inThisExecutor);
        }
        return running;
    }

    private static final Pattern TASK_EVENT =
            Pattern.compile("Executor: (Running|Finished) task \\S+ in stage \\S+ \\(TID (\\d+)\\)");

    /** Output of the last {@link #submit}. */
    public String submitLog() {
        try {
            return lastSubmitLog == null ? "" : Files.readString(lastSubmitLog, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "cannot read " + lastSubmitLog + ": " + e;
        }
    }

    /** stderr of every executor the workers launched ({@code worker-i/<app-id>/<executor-id>/stderr}). */
    public List<Path> executorLogs() throws IOException {
        try (Stream<Path> s = Files.walk(dir, 4)) {
            return s.filter(p -> !p.startsWith(sparkHome)
                            && p.getFileName().toString().equals("stderr"))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** The tail of every log (daemons, submits, executors), for failure messages. */
    public String diagnostics() {
        StringBuilder sb = new StringBuilder("cluster dir: " + dir + "\n");
        try (Stream<Path> s = Files.walk(dir, 4)) {
            for (Path p : (Iterable<Path>) s.filter(p -> !p.startsWith(sparkHome)
                            && Files.isRegularFile(p)
                            && (p.toString().endsWith(".log")
                                    || p.getFileName().toString().equals("stderr")))
                    .sorted()::iterator)
                sb.append("----- ")
                        .append(dir.relativize(p))
                        .append(" (tail) -----\n")
                        .append(tail(p, 40));
        } catch (IOException e) {
            sb.append("cannot read logs: ").append(e);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        stopDaemons();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or ran; nothing to undo
        }
    }

    private synchronized void stopDaemons() {
        for (int i = daemons.size() - 1; i >= 0; i--) stop(daemons.get(i)); // workers (and their executors) first
        daemons.clear();
    }

    /**
     * JIT and GC of the JVMs that train no model: the master and the workers pass messages, and the spark-submit
     * driver plans and commits (the executors train). Short-lived and cold, they spend less on the client compiler
     * alone and the serial collector, and leave the two cores of a test machine to the executors (docs/testing.md).
     * The executors keep the JVM's defaults: their SIMD statistics need C2.
     */
    static final List<String> NON_TRAINING_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private Process spawnDaemon(String name, List<String> args) throws IOException {
        return spawn(name, "512m", NON_TRAINING_JVM, args);
    }

    private Process spawn(String name, String heap, List<String> jvm, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap));
        cmd.addAll(jvm);
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", libDir + "/*"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(projectDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet()
                .removeIf(k ->
                        k.startsWith("SPARK_") || k.startsWith("HADOOP_")); // a user's Spark setup must not leak in
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.12"); // without it the worker cannot build an executor command
        env.put("SPARK_LOCAL_IP", HOST); // web UIs bind here instead of 0.0.0.0
        env.put("JAVA_HOME", System.getProperty("java.home")); // executors use the same JDK
        env.put("OMP_NUM_THREADS", "1");
        Files.writeString(dir.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
        return pb.start();
    }

    /** SIGTERM to the process and its descendants (a worker's executors), SIGKILL after the grace period. */
    private static void stop(Process p) {
        List<ProcessHandle> tree = new ArrayList<>();
        p.descendants().forEach(tree::add);
        tree.add(p.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // forced below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    private static int[] freePorts(int n) throws IOException {
        // Hold all sockets open while choosing, so the same port is never handed out twice.
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) sockets.add(new ServerSocket(0, 1, InetAddress.getByName(HOST)));
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } finally {
            for (ServerSocket s : sockets) s.close();
        }
    }

    static String tail(Path p, int lines) {
        try {
            List<String> all = Files.readAllLines(p, StandardCharsets.ISO_8859_1); // never fails on odd bytes
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "cannot read " + p + ": " + e + "\n";
        }
    }
}
