package dev.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The local-mode defaults of gradsweep's sessions, and that a user's own settings and a cluster's are left alone. */
class SessionsTest {
    @Test
    void localMastersGetOneShufflePartitionPerCoreUnlessTheUserChose() {
        int cores = Runtime.getRuntime().availableProcessors();
        for (String[] c : new String[][] {
            {"local", "1"}, {"local[3]", "3"}, {"local[4,2]", "4"}, {"local[*]", Integer.toString(cores)}
        }) {
            SparkConf conf = Sessions.loopbackIfLocal(new SparkConf(false).setMaster(c[0]));
            assertEquals(c[1], conf.get("spark.sql.shuffle.partitions"), c[0]);
            assertEquals("127.0.0.1", conf.get("spark.driver.host"), c[0]);
        }
        SparkConf mine = new SparkConf(false).setMaster("local[2]").set("spark.sql.shuffle.partitions", "64");
        assertEquals("64", Sessions.loopbackIfLocal(mine).get("spark.sql.shuffle.partitions"));
        SparkConf cluster = Sessions.loopbackIfLocal(new SparkConf(false).setMaster("spark://10.0.0.1:7077"));
        assertFalse(cluster.contains("spark.sql.shuffle.partitions"), "a cluster keeps Spark's default");
        assertFalse(cluster.contains("spark.driver.host"));
    }
}
