package dev.gradsweep.sweep;

import dev.gradsweep.store.NioLocalFileSystem;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Spark sessions of the CLI. In local mode everything stays on loopback: when the hostname resolves to 127.0.0.1
 * Spark otherwise picks another interface's address to listen on, which a workstation sweep has no use for.
 */
public final class Sessions {
    private Sessions() {}

    /**
     * When {@code conf}'s master is local (unless the user set them): the driver on 127.0.0.1, no web UI, one
     * shuffle partition per core, and {@link NioLocalFileSystem} for file: paths. Spark's default of 200 suits a cluster; on one machine every map task of the
     * analysis views then writes 200 shuffle files (docs/tables.md measures what that costs the closing answer).
     * The views' answers do not depend on the partitioning (their medians skip NaN: StallMediansTest).
     */
    public static SparkConf loopbackIfLocal(SparkConf conf) {
        String master = conf.get("spark.master", "");
        if (master.startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.sql.shuffle.partitions", Integer.toString(localCores(master)));
            // not on a cluster, whose executors may resolve file: paths before they have gradsweep's jar
            conf.setIfMissing("spark.hadoop." + NioLocalFileSystem.KEY, NioLocalFileSystem.class.getName());
        }
        return conf;
    }

    /** The task slots of a local master: local = 1, local[N] and local[N,F] = N, local[*] = the machine's cores. */
    static int localCores(String master) {
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) return Runtime.getRuntime().availableProcessors(); // e.g. local-cluster[...]
        if (m.group(1) == null) return 1;
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
    }

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");

    /** Iceberg's SQL extensions (the CALL procedures, ALTER TABLE ... WRITE ORDERED BY), unless the user chose extensions. */
    public static SparkConf iceberg(SparkConf conf) {
        conf.setIfMissing("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions");
        return conf;
    }

    /**
     * True when this JVM already runs a Spark session (a test's, shared by the commands it runs): a command then
     * works in it and leaves it running, where it stops a session it started itself.
     */
    static boolean running() {
        return live(SparkSession.getActiveSession()) || live(SparkSession.getDefaultSession());
    }

    /** A session that was stopped stays this thread's active one until another is built: it does not count. */
    private static boolean live(scala.Option<SparkSession> s) {
        return s.isDefined() && !s.get().sparkContext().isStopped();
    }

    /** A session for queries and reports on {@code master} (normally local[*]). */
    public static SparkSession forQueries(String master, String app) {
        SparkConf conf = new SparkConf(true).setMaster(master).setAppName(app).set("spark.ui.enabled", "false");
        return SparkSession.builder().config(iceberg(loopbackIfLocal(conf))).getOrCreate();
    }
}
