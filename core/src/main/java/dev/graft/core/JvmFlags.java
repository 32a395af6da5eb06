package dev.graft.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * The JVM flags Graft needs on JDK 25 (the root pom's {@code graft.jvm.flags}; docs/JVM-FLAGS.md), and the check
 * that runs before Graft first touches Arrow memory.
 *
 * <p>Without the flags Arrow fails deep inside its own initialisation ({@code ExceptionInInitializerError:
 * UnsupportedOperationException} from its Netty allocator, or later, when an IPC file is written, "DirectByteBuffer
 * not available"), naming no flag. {@link #requireArrowFlags()} instead checks what this JVM actually allows —
 * whichever way the flags were given (command line, {@code JDK_JAVA_OPTIONS}, {@code JAVA_TOOL_OPTIONS}, JShell
 * {@code -R}) — and fails with the exact flags to add and where. The Vector API module is not required: without it
 * Graft runs its scalar kernels and logs why ({@link dev.graft.core.kernels.KernelSelection}).
 */
public final class JvmFlags {
    /** The Vector API kernels; optional (scalar kernels otherwise). */
    public static final String ADD_MODULES = "--add-modules=jdk.incubator.vector";
    /** Arrow turns its buffers into {@code java.nio} buffers (IPC files) through {@code DirectByteBuffer}'s
     *  private constructor. */
    public static final String ADD_OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED";
    /** Memory-mapped weights ({@code MemorySegment.reinterpret}) and the tokenizer's native library. */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** Arrow's Netty allocator: on JDK 24+ Netty refuses {@code sun.misc.Unsafe} unless this is {@code allow}. */
    public static final String UNSAFE_MEMORY = "--sun-misc-unsafe-memory-access=allow";
    /** All four, in the root pom's order, separated by single spaces. */
    public static final String ALL = ADD_MODULES + " " + ADD_OPENS + " " + NATIVE_ACCESS + " " + UNSAFE_MEMORY;

    private static volatile boolean checked;

    private JvmFlags() {
    }

    /**
     * The required flags this JVM runs without (empty when Graft can start), each as it is to be written on the
     * command line. {@link #ADD_MODULES} is never in this list.
     */
    public static List<String> missing() {
        List<String> missing = new ArrayList<>();
        Module arrow = MemoryUtil.class.getModule(); // a class literal: MemoryUtil is not initialised
        if (!ByteBuffer.class.getModule().isOpen("java.nio", arrow)) {
            missing.add(arrow.isNamed() ? "--add-opens=java.base/java.nio=" + arrow.getName() : ADD_OPENS);
        }
        Module graft = JvmFlags.class.getModule();
        if (!graft.isNativeAccessEnabled()) {
            missing.add(graft.isNamed() ? "--enable-native-access=" + graft.getName() : NATIVE_ACCESS);
        }
        // The launcher turns --sun-misc-unsafe-memory-access into this property, which is what Netty reads.
        if (!"allow".equals(System.getProperty("sun.misc.unsafe.memory.access"))) {
            missing.add(UNSAFE_MEMORY);
        }
        return List.copyOf(missing);
    }

    /**
     * Fails with {@link IllegalStateException} listing the missing flags and where to put them, unless this JVM
     * has every flag Arrow and the native libraries need. Cheap after the first successful call.
     */
    public static void requireArrowFlags() {
        if (checked) {
            return;
        }
        List<String> missing = missing();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(message(missing,
                    ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()));
        }
        checked = true;
    }

    /** The error text for {@code missing} flags; {@code noVectorModule} adds the optional Vector API flag. */
    static String message(List<String> missing, boolean noVectorModule) {
        List<String> add = new ArrayList<>(missing);
        if (noVectorModule) {
            add.addFirst(ADD_MODULES);
        }
        String line = String.join(" ", add);
        StringBuilder sb = new StringBuilder()
                .append("Graft cannot start: this JVM was started without ")
                .append(missing.size() == 1 ? "a flag" : missing.size() + " flags")
                .append(" that Arrow memory needs on JDK ").append(Runtime.version().feature()).append(":\n");
        for (String f : missing) {
            sb.append("    ").append(f).append('\n');
        }
        if (noVectorModule) {
            sb.append("  and ").append(ADD_MODULES)
                    .append(" is missing too (optional: without it Graft uses its slower scalar kernels).\n");
        }
        return sb.append("Add them where this JVM is started:\n")
                .append("    mvn exec:java:         MAVEN_OPTS=\"").append(line).append("\"\n")
                .append("    tests (surefire):      <argLine>").append(line).append("</argLine>\n")
                .append("    java / a launcher:     java ").append(line).append(" -cp ... your.Main\n")
                .append("    any java command:      export JDK_JAVA_OPTIONS=\"").append(line).append("\"\n")
                .append("    JShell:                -R").append(String.join(" -R", add)).append('\n')
                .append("See docs/JVM-FLAGS.md in Graft for why each one is needed.")
                .toString();
    }
}
