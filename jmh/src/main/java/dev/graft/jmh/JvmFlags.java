package dev.graft.jmh;

/**
 * The JVM flags Graft needs at run time — {@link dev.graft.core.JvmFlags}, the root pom's {@code graft.jvm.flags} —
 * one constant each so that a benchmark can hand them to its forks: {@code @Fork(jvmArgsAppend = {JvmFlags.ADD_MODULES,
 * JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS, JvmFlags.UNSAFE_MEMORY})} (annotation values must be compile-time
 * constants, so an array constant cannot be used). {@code JvmFlagsTest} checks these against the pom.
 */
public final class JvmFlags {
    /** The Vector API kernels. */
    public static final String ADD_MODULES = dev.graft.core.JvmFlags.ADD_MODULES;
    /** Arrow's memory reads java.nio internals. */
    public static final String ADD_OPENS = dev.graft.core.JvmFlags.ADD_OPENS;
    /** Native libraries (Arrow, ND4J's JavaCPP) without a warning. */
    public static final String NATIVE_ACCESS = dev.graft.core.JvmFlags.NATIVE_ACCESS;
    /** Arrow's netty allocator uses sun.misc.Unsafe memory access, which JDK 25 refuses otherwise. */
    public static final String UNSAFE_MEMORY = dev.graft.core.JvmFlags.UNSAFE_MEMORY;

    /** All four, in the pom's order. */
    public static final String ALL = dev.graft.core.JvmFlags.ALL;

    private JvmFlags() {
    }
}
