package dev.graft.jmh;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Checks that {@link Nd4jThreads#set} really bounds ND4J's GEMM: runs a 1024³ product for a few seconds at each
 * thread count and prints the process's CPU time over wall time (≈ threads used, on an otherwise idle machine),
 * plus the OpenBLAS build ND4J loaded. Run: {@code java <JvmFlags.ALL> -cp jmh/target/benchmarks.jar
 * dev.graft.jmh.Nd4jThreadCheck}.
 */
public final class Nd4jThreadCheck {
    private Nd4jThreadCheck() {
    }

    /** OpenBLAS's build configuration and the CPU kernel set it chose at run time. */
    static String openBlasConfig() {
        // The JavaCPP preset does not map these two, but JavaCPP loaded the library into this class loader.
        return callString("openblas_get_config") + ", core " + callString("openblas_get_corename");
    }

    private static String callString(String function) {
        try {
            var symbol = java.lang.foreign.SymbolLookup.loaderLookup().find(function);
            if (symbol.isEmpty()) {
                return function + " not found";
            }
            var handle = java.lang.foreign.Linker.nativeLinker().downcallHandle(symbol.get(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS));
            var str = (java.lang.foreign.MemorySegment) handle.invokeExact();
            return str.reinterpret(256).getString(0).trim();
        } catch (Throwable e) {
            return function + " failed: " + e;
        }
    }

    public static void main(String[] args) {
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        INDArray a = Nd4j.rand(DataType.FLOAT, 1024, 1024);
        INDArray b = Nd4j.rand(DataType.FLOAT, 1024, 1024);
        INDArray c = Nd4j.create(DataType.FLOAT, 1024, 1024);
        System.out.println("ND4J backend " + Nd4j.getBackend().getClass().getName() + ", BLAS vendor "
                + Nd4j.factory().blas().getBlasVendor() + " (" + openBlasConfig() + "), JDK " + Runtime.version());
        int max = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        for (int threads = 1; threads <= max; threads++) {
            Nd4jThreads.set(threads);
            for (int i = 0; i < 5; i++) { // warm-up
                Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            }
            long cpu0 = os.getProcessCpuTime();
            long wall0 = System.nanoTime();
            int reps = 0;
            while (System.nanoTime() - wall0 < 3_000_000_000L) {
                Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
                reps++;
            }
            long wall = System.nanoTime() - wall0;
            long cpu = os.getProcessCpuTime() - cpu0;
            System.out.printf("threads=%d: CPU/wall = %.2f, %.1f GFLOP/s (wall)%n", threads, (double) cpu / wall,
                    2.0 * 1024 * 1024 * 1024 * reps / wall);
        }
    }
}
