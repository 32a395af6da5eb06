package dev.graft.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.attention.spec.AttentionKernels;
import dev.graft.attention.spec.AttentionSpec;
import dev.graft.attention.testing.Impls;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Once warm, an attention call allocates nothing on the calling thread (one compute thread, so every task runs
 * there): {@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()} over 200 calls, retried after
 * more warm-up (bounded) while the JIT compiles. The mask has holes, so the masked paths run too.
 */
class AttentionAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static final int BATCH = 2;
    static final int TOKENS = 150;
    static final int HEADS = 2;
    static final int D = 16;
    static final int WIDTH = HEADS * D;

    private static TensorArena arena;
    private static MemorySegment qkv;
    private static MemorySegment mask;
    private static MemorySegment out;

    @BeforeAll
    static void setUp() {
        arena = TensorArena.root("attention-allocation-test");
        Random random = new Random(3);
        Tensor t = arena.allocateUninitialized(DType.F32, (long) BATCH * TOKENS * 3 * WIDTH);
        for (long i = 0; i < t.elementCount(); i++) {
            t.setFloat(i, random.nextFloat() * 2 - 1);
        }
        qkv = t.segment();
        int[] m = new int[BATCH * TOKENS];
        for (int i = 0; i < m.length; i++) {
            m[i] = i < TOKENS ? (random.nextDouble() < 0.2 ? 0 : 1) : (i - TOKENS < 100 ? 1 : 0); // holes; right padding
        }
        mask = arena.copyOf(m, m.length).segment();
        out = arena.allocate(DType.F32, (long) BATCH * TOKENS * WIDTH).segment();
    }

    @AfterAll
    static void tearDown() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense", "window(16,global=0|3|140)", "window(8,dilation=3)", "blocksparse(16,global=1,random=2)", "topk(8)"})
    void allocatesNothingPerCallOnceWarm(String pattern) {
        AttentionKernel kernel = AttentionKernels.create(AttentionSpec.parse("all:" + pattern).patternFor(0), Impls.VECTOR);
        repeat(kernel, 300);
        long bytes = -1;
        for (int round = 0; round < 30 && bytes != 0; round++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            repeat(kernel, 200);
            long after = THREADS.getCurrentThreadAllocatedBytes();
            bytes = after - before - (THREADS.getCurrentThreadAllocatedBytes() - after);
            if (bytes != 0) {
                repeat(kernel, 200);
            }
        }
        assertThat(bytes).as("%s: bytes allocated over 200 warm calls", pattern).isZero();
    }

    private static void repeat(AttentionKernel kernel, int times) {
        for (int i = 0; i < times; i++) {
            kernel.attend(BATCH, TOKENS, HEADS, D, 0.25f, qkv, 0, qkv, WIDTH, qkv, 2 * WIDTH, 3 * WIDTH, mask, 0, out, 0, WIDTH);
        }
    }
}
