package dev.graft.attention;

import java.lang.foreign.MemorySegment;

/**
 * Multi-head scaled dot-product attention over a padded batch: for every sequence b and head h,
 * {@code out[b, :, h] = softmax(Q[b, :, h] · K[b, :, h]ᵀ · scale, masked) · V[b, :, h]}.
 *
 * <p>Layout: Q, K, V and out are {@code [batch · tokens]} rows of {@code heads · headSize} floats (head h in
 * columns {@code [h·headSize, (h+1)·headSize)}), with row strides {@code ldQkv} and {@code ldOut} in elements —
 * so Q, K and V may be column blocks of one fused projection. The mask is {@code [batch, tokens]} i32 over
 * <em>keys</em> (1 = attend, 0 = padding), or null. Padded query rows are computed like real ones (they
 * attend to the real keys), so outputs match Hugging Face models everywhere.
 *
 * <p>Implementations are thread-safe and split work over their kernels' compute pool.
 */
public interface AttentionKernel {

    /** Short name for logs, provenance and benchmarks. */
    String name();

    void attend(int batch, int tokens, int heads, int headSize, float scale,
                MemorySegment q, long qOff, MemorySegment k, long kOff, MemorySegment v, long vOff, int ldQkv,
                MemorySegment mask, long maskOff,
                MemorySegment out, long outOff, int ldOut);
}
