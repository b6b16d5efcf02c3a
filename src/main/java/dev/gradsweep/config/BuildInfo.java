package dev.gradsweep.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What built this gradsweep: its version and git commit, filled in by Maven (src/main/resources-filtered). */
public final class BuildInfo {
    public static final String VERSION, COMMIT, DL4J_VERSION;

    static {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/gradsweep/build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        VERSION = value(p, "version");
        DL4J_VERSION = value(p, "dl4j");
        String commit = value(p, "commit");
        COMMIT = commit.equals("unknown") || !"true".equals(p.getProperty("dirty")) ? commit : commit + "-dirty";
    }

    private BuildInfo() {}

    /** An unfiltered placeholder (a build without Maven or without .git) reads as "unknown". */
    private static String value(Properties p, String key) {
        String v = p.getProperty(key, "");
        return v.isBlank() || v.startsWith("${") ? "unknown" : v.strip();
    }
}
