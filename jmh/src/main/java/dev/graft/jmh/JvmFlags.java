package dev.graft.jmh;

/**
 * The JVM flags Graft needs at run time — the root pom's {@code graft.jvm.flags}, one constant each so that a
 * benchmark can hand them to its forks: {@code @Fork(jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS,
 * JvmFlags.NATIVE_ACCESS, JvmFlags.UNSAFE_MEMORY})} (annotation values must be compile-time constants, so an array
 * constant cannot be used). {@code JvmFlagsTest} checks these against the pom.
 */
public final class JvmFlags {
    /** The Vector API kernels. */
    public static final String ADD_MODULES = "--add-modules=jdk.incubator.vector";
    /** Arrow's memory reads java.nio internals. */
    public static final String ADD_OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED";
    /** Native libraries (Arrow, ND4J's JavaCPP) without a warning. */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** Arrow's netty allocator uses sun.misc.Unsafe memory access, which JDK 25 warns about otherwise. */
    public static final String UNSAFE_MEMORY = "--sun-misc-unsafe-memory-access=allow";

    /** All four, in the pom's order. */
    public static final String ALL = ADD_MODULES + " " + ADD_OPENS + " " + NATIVE_ACCESS + " " + UNSAFE_MEMORY;

    private JvmFlags() {
    }
}
