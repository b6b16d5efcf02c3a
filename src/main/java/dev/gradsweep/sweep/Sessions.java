package dev.gradsweep.sweep;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Spark sessions of the CLI. In local mode everything stays on loopback: when the hostname resolves to 127.0.0.1
 * Spark otherwise picks another interface's address to listen on, which a workstation sweep has no use for.
 */
public final class Sessions {
    private Sessions() {}

    /** Pins the driver to 127.0.0.1 when {@code conf}'s master is local (unless the user set it). */
    public static SparkConf loopbackIfLocal(SparkConf conf) {
        if (conf.get("spark.master", "").startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        return conf;
    }

    /** Iceberg's SQL extensions (the CALL procedures, ALTER TABLE ... WRITE ORDERED BY), unless the user chose extensions. */
    public static SparkConf iceberg(SparkConf conf) {
        conf.setIfMissing("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions");
        return conf;
    }

    /** A session for queries and reports on {@code master} (normally local[*]). */
    public static SparkSession forQueries(String master, String app) {
        SparkConf conf = new SparkConf(true).setMaster(master).setAppName(app).set("spark.ui.enabled", "false");
        return SparkSession.builder().config(iceberg(loopbackIfLocal(conf))).getOrCreate();
    }
}
