package dev.graft.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Facts about this build of Graft and the platform it runs on, recorded as the provenance of what it saves. */
public final class Graft {
    private static final String VERSION = readVersion();

    private Graft() {
    }

    /** The Maven project version this jar was built from. */
    public static String version() {
        return VERSION;
    }

    /** The running JDK, e.g. {@code 25.0.3+9-LTS (Eclipse Adoptium)}. */
    public static String jdk() {
        return Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")";
    }

    /** Operating system, architecture and processor count, e.g. {@code Linux amd64, 2 cpus}. */
    public static String platform() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cpus";
    }

    private static String readVersion() {
        try (InputStream in = Graft.class.getResourceAsStream("graft.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Graft's build properties", e);
        }
    }
}
