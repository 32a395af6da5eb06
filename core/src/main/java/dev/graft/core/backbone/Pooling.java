package dev.graft.core.backbone;

import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/** How a sequence of token states [tokens, hidden] becomes one sentence vector [hidden]. */
public enum Pooling {
    /** Mean of the real (unmasked) tokens' states — sentence-transformers' default (MiniLM, e5). */
    MEAN,
    /** The first token's ([CLS]) state — what bge recommends. */
    CLS;

    /** Pools [batch, tokens, hidden] with its [batch, tokens] i32 mask into a new [batch, hidden] tensor in {@code out}. */
    public Tensor apply(Kernels kernels, Tensor hidden, Tensor mask, TensorArena out) {
        if (hidden.rank() != 3 || mask.rank() != 2 || mask.size(0) != hidden.size(0) || mask.size(1) != hidden.size(1)) {
            throw new IllegalArgumentException("pooling needs hidden [batch, tokens, hidden] and mask [batch, tokens], got "
                    + hidden.describe() + " and " + mask.describe());
        }
        int b = hidden.dim(0);
        int t = hidden.dim(1);
        int h = hidden.dim(2);
        Tensor pooled = out.allocateUninitialized(DType.F32, b, h);
        switch (this) {
            case MEAN -> kernels.meanPool(b, t, h, hidden.segment(), 0, mask.segment(), 0, pooled.segment(), 0);
            case CLS -> {
                long rowBytes = (long) h * Float.BYTES;
                for (int i = 0; i < b; i++) {
                    MemorySegment.copy(hidden.segment(), (long) i * t * rowBytes, pooled.segment(), i * rowBytes, rowBytes);
                }
            }
        }
        return pooled;
    }

    /** Parses "mean" / "cls" (any case). */
    public static Pooling parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown pooling '" + s + "' (expected mean or cls)");
        }
    }
}
