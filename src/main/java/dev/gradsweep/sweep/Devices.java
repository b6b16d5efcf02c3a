package dev.gradsweep.sweep;

import dev.gradsweep.store.Machine;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GPU placement on a cluster: Spark assigns each task GPU addresses (spark.task.resource.gpu.amount) and the task
 * pins ND4J's current thread to the first one. On the CPU backend, or without a GPU resource, nothing happens.
 */
final class Devices {
    private Devices() {}

    static void pinAssignedGpu(scala.collection.immutable.Map<String, ResourceInformation> resources) {
        if (!resources.contains("gpu") || !Machine.backend().equals("cuda")) return;
        String[] addresses = resources.apply("gpu").addresses();
        if (addresses.length == 0) return;
        Nd4j.getAffinityManager().unsafeSetDevice(Integer.parseInt(addresses[0].trim()));
    }
}
