package dev.graft.jmh;

import dev.graft.attention.AttentionKernel;
import dev.graft.attention.tiled.TiledAttention;
import dev.graft.core.kernels.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Attention's working memory per call, measured: for each pattern of {@link AttentionBenchmark} and each T, a fresh
 * kernel runs one call (one thread; one head, since scratch is per task, not per head) and reports the scratch its
 * thread then holds ({@link TiledAttention#scratchBytes()}), beside the 4·T² bytes a materialised score matrix
 * would take; then the heap bytes per call that calls 3 to 5 allocate on the calling thread (after a warm-up at
 * T = 512, so the code is compiled). Prints a Markdown table.
 * <pre>
 * java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp jmh/target/benchmarks.jar \
 *      dev.graft.jmh.AttentionScratch
 * </pre>
 */
public final class AttentionScratch {
    static final int CALLS = Integer.getInteger("calls", 3);

    private AttentionScratch() {
    }

    /** Compiles the kernel's code (interpreted Vector API code allocates), on a small T. */
    private static void warmUp(String pattern, Kernels kernels) {
        try (Arena arena = Arena.ofShared()) {
            int t = 512;
            MemorySegment qkv = AttentionBenchmark.randomFloats(arena, (long) t * 3 * AttentionBenchmark.HEAD_SIZE, 2);
            MemorySegment out = arena.allocate((long) t * AttentionBenchmark.HEAD_SIZE * Float.BYTES, 64);
            AttentionKernel k = AttentionBenchmark.kernel(pattern, kernels);
            for (int i = 0; i < 3000; i++) {
                AttentionBenchmark.run(k, t, 1, qkv, out, 0.17f);
            }
        }
    }

    public static void main(String[] args) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] lengths = {512, 1024, 2048, 4096, 8192, 16384};
        String[] patterns = {AttentionBenchmark.DENSE, AttentionBenchmark.WINDOW, AttentionBenchmark.BLOCK_SPARSE};
        System.out.println("| pattern | T | scratch bytes per call | T×T score matrix bytes | heap bytes per call (calls 3–5) |");
        System.out.println("|---|---:|---:|---:|---:|");
        try (Kernels kernels = Kernels.create(1)) {
            for (String p : patterns) {
                warmUp(p, kernels);
                for (int t : lengths) {
                    try (Arena arena = Arena.ofShared()) {
                        MemorySegment qkv = AttentionBenchmark.randomFloats(arena, (long) t * 3 * AttentionBenchmark.HEAD_SIZE, 3);
                        MemorySegment out = arena.allocate((long) t * AttentionBenchmark.HEAD_SIZE * Float.BYTES, 64);
                        AttentionKernel k = AttentionBenchmark.kernel(p, kernels);
                        AttentionBenchmark.run(k, t, 1, qkv, out, 0.17f);
                        AttentionBenchmark.run(k, t, 1, qkv, out, 0.17f);
                        long before = threads.getCurrentThreadAllocatedBytes();
                        for (int i = 0; i < CALLS; i++) {
                            AttentionBenchmark.run(k, t, 1, qkv, out, 0.17f);
                        }
                        long after = threads.getCurrentThreadAllocatedBytes();
                        long heap = (after - before - (threads.getCurrentThreadAllocatedBytes() - after)) / CALLS; // minus one reading
                        System.out.printf(Locale.ROOT, "| %s | %d | %,d | %,d | %d |%n", p, t, ((TiledAttention) k).scratchBytes(),
                                4L * t * t, heap);
                    }
                }
            }
        }
    }
}
