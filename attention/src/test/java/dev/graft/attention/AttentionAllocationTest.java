package dev.graft.attention;

import dev.graft.attention.spec.AttentionKernels;
import dev.graft.attention.spec.AttentionSpec;
import dev.graft.attention.testing.Impls;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.testing.ZeroAllocation;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Once warm, an attention call allocates nothing on the calling thread (one compute thread, so every task runs
 * there), for every pattern: checked by {@link ZeroAllocation} in a C2-only child JVM with blocking compilation, 200
 * calls per measurement once the call is verified C2-compiled. The mask has holes, so the masked paths run too.
 */
class AttentionAllocationTest {
    static final int BATCH = 2;
    static final int TOKENS = 150;
    static final int HEADS = 2;
    static final int D = 16;
    static final int WIDTH = HEADS * D;
    static final List<String> PATTERNS = List.of("dense", "window(16,global=0|3|140)", "window(8,dilation=3)",
            "blocksparse(16,global=1,random=2)", "topk(8)");

    @TestFactory
    Stream<DynamicTest> allocatesNothingPerCallOnceWarm() throws Exception {
        return ZeroAllocation.inForkedJvm(Cases.class);
    }

    /** One case per pattern, on operands set up in the child JVM (its arena lives as long as the child). */
    static final class Cases implements Supplier<List<ZeroAllocation.Case>> {
        @Override
        public List<ZeroAllocation.Case> get() {
            TensorArena arena = TensorArena.root("attention-allocation-test");
            Random random = new Random(3);
            Tensor t = arena.allocateUninitialized(DType.F32, (long) BATCH * TOKENS * 3 * WIDTH);
            for (long i = 0; i < t.elementCount(); i++) {
                t.setFloat(i, random.nextFloat() * 2 - 1);
            }
            MemorySegment qkv = t.segment();
            int[] m = new int[BATCH * TOKENS];
            for (int i = 0; i < m.length; i++) {
                m[i] = i < TOKENS ? (random.nextDouble() < 0.2 ? 0 : 1) : (i - TOKENS < 100 ? 1 : 0); // holes; right padding
            }
            MemorySegment mask = arena.copyOf(m, m.length).segment();
            MemorySegment out = arena.allocate(DType.F32, (long) BATCH * TOKENS * WIDTH).segment();
            List<ZeroAllocation.Case> cases = new ArrayList<>();
            for (String pattern : PATTERNS) {
                AttentionKernel kernel = AttentionKernels.create(AttentionSpec.parse("all:" + pattern).patternFor(0), Impls.VECTOR);
                cases.add(ZeroAllocation.Case.of(pattern, 200, () -> kernel.attend(BATCH, TOKENS, HEADS, D, 0.25f,
                        qkv, 0, qkv, WIDTH, qkv, 2 * WIDTH, 3 * WIDTH, mask, 0, out, 0, WIDTH)));
            }
            return cases;
        }
    }
}
