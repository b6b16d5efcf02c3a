package dev.gradsweep.store;

import dev.gradsweep.config.BuildInfo;
import dev.gradsweep.simd.Simd;
import java.io.IOException;
import java.net.InetAddress;
import org.nd4j.linalg.factory.Nd4j;

/** Where this JVM trains, as a runs row records it: backend, device, host, and the build's provenance. */
public final class Machine {
    private Machine() {}

    /** The same for every run of this JVM. */
    public static final RunWriter.Provenance PROVENANCE = new RunWriter.Provenance(
            BuildInfo.VERSION,
            BuildInfo.COMMIT,
            Nd4j.getBackend().getClass().getSimpleName(),
            BuildInfo.DL4J_VERSION,
            Simd.ENABLED ? "simd" : "scalar");

    public static String backend() {
        return Nd4j.getBackend().getClass().getSimpleName().toLowerCase().contains("cuda") ? "cuda" : "cpu";
    }

    public static String device() {
        return backend().equals("cpu")
                ? "cpu:" + Runtime.getRuntime().availableProcessors() + "cores"
                : "cuda:" + Nd4j.getAffinityManager().getDeviceForCurrentThread();
    }

    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
