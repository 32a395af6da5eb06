package dev.graft.core.kernels;

import dev.graft.core.parallel.ComputePool;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Chooses the kernel implementation: the Vector API one when it can run well here, the scalar reference
 * otherwise. The reason for a fallback is logged once per JVM. {@code -Dgraft.kernels=scalar} forces scalar.
 */
public final class KernelSelection {
    private static final System.Logger LOG = System.getLogger("dev.graft.kernels");
    private static final AtomicBoolean LOGGED = new AtomicBoolean();
    private static final String VECTOR_IMPL = "dev.graft.core.kernels.vector.VectorKernels";

    private KernelSelection() {
    }

    static Kernels create(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        ComputePool pool = new ComputePool(threads);
        String why = vectorUnavailableReason();
        if (why == null) {
            try {
                return (Kernels) Class.forName(VECTOR_IMPL).getConstructor(ComputePool.class).newInstance(pool);
            } catch (ReflectiveOperationException | LinkageError e) {
                why = "the Vector API kernels failed to load: " + e;
            }
        }
        if (LOGGED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "Graft uses its scalar kernels (slower): " + why);
        }
        return new ScalarKernels(pool);
    }

    /** Why the Vector API kernels cannot be used in this JVM, or null when they can. */
    public static String vectorUnavailableReason() {
        if ("scalar".equalsIgnoreCase(System.getProperty("graft.kernels", ""))) {
            return "-Dgraft.kernels=scalar was set";
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the jdk.incubator.vector module is not in the module graph "
                    + "(start the JVM with --add-modules=jdk.incubator.vector)";
        }
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String a : args) {
            if (a.equals("-Xint") || a.startsWith("-XX:TieredStopAtLevel=") && !a.endsWith("=4")) {
                return "the C2 compiler is off (" + a + "), without which the Vector API is slower than scalar code";
            }
        }
        return null;
    }
}
