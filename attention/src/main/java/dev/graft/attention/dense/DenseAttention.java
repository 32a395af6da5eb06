package dev.graft.attention.dense;

import dev.graft.attention.AttentionKernel;
import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Exact attention by two GEMMs and a masked softmax per (sequence, head): scores = Q·Kᵀ into a per-thread
 * [tokens × keys] scratch, softmax in place, out = P·V. Work is split over (sequence, head) pairs on the
 * kernels' pool; each pair runs its GEMMs inline.
 *
 * <p>With right padding (a mask that is ones then zeros, as tokenizers produce) only the real keys are
 * multiplied; any other mask is applied inside the softmax.
 */
public final class DenseAttention implements AttentionKernel {
    private final Kernels kernels;
    private final ComputePool pool;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    public DenseAttention(Kernels kernels) {
        this.kernels = Objects.requireNonNull(kernels);
        this.pool = kernels.pool();
    }

    @Override
    public String name() {
        return "dense";
    }

    @Override
    public void attend(int batch, int tokens, int heads, int headSize, float scale,
                       MemorySegment q, long qOff, MemorySegment k, long kOff, MemorySegment v, long vOff, int ldQkv,
                       MemorySegment mask, long maskOff, MemorySegment out, long outOff, int ldOut) {
        pool.parallelFor(batch * heads, (task, worker) -> {
            int b = task / heads;
            int h = task % heads;
            long row0 = (long) b * tokens;
            long col = (long) h * headSize;
            int keys = tokens;
            MemorySegment keyMask = mask;
            if (mask != null) {
                int len = prefixLength(mask, maskOff + row0, tokens);
                if (len >= 0) {
                    keys = len;          // right padding: multiply only the real keys
                    keyMask = null;
                }
            }
            MemorySegment s = scratch.get().ensure((long) tokens * Math.max(keys, 1));
            if (keys == 0) {
                s.asSlice(0, (long) tokens * Float.BYTES).fill((byte) 0);
                for (int t = 0; t < tokens; t++) {
                    MemorySegment.copy(s, 0, out, (outOff + (row0 + t) * ldOut + col) * Float.BYTES, (long) headSize * Float.BYTES);
                }
                return;
            }
            // scores[t, j] = q_t · k_j
            kernels.gemm(tokens, keys, headSize, q, qOff + row0 * ldQkv + col, ldQkv,
                    k, kOff + row0 * ldQkv + col, ldQkv, true, null, 0, Activation.NONE, false, s, 0, keys);
            kernels.softmax(tokens, keys, s, 0, keys, scale, keyMask, maskOff + row0);
            // out[t] = Σ_j p[t, j] v_j
            kernels.gemm(tokens, headSize, keys, s, 0, keys, v, vOff + row0 * ldQkv + col, ldQkv, false,
                    null, 0, Activation.NONE, false, out, outOff + row0 * ldOut + col, ldOut);
        });
    }

    /** Length of a ones-then-zeros mask row, or -1 when the row is not of that form. */
    static int prefixLength(MemorySegment mask, long off, int tokens) {
        int len = 0;
        while (len < tokens && mask.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, off + len) != 0) {
            len++;
        }
        for (int j = len; j < tokens; j++) {
            if (mask.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, off + j) != 0) {
                return -1;
            }
        }
        return len;
    }

    /** A growable per-thread score buffer, freed by the GC with its thread. */
    private static final class Scratch {
        private MemorySegment segment = MemorySegment.NULL;

        MemorySegment ensure(long floats) {
            if (segment.byteSize() < floats * Float.BYTES) {
                segment = Arena.ofAuto().allocate(Math.max(floats, 4096) * Float.BYTES, 64);
            }
            return segment;
        }
    }
}
