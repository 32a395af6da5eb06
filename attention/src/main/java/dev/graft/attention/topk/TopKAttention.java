package dev.graft.attention.topk;

import dev.graft.attention.tiled.Block;
import dev.graft.attention.tiled.Sweep;
import dev.graft.attention.tiled.TiledAttention;
import dev.graft.core.kernels.Kernels;

/**
 * Top-k attention: each query keeps only its k largest scores among the unmasked keys and renormalises the softmax
 * over them (scores equal to the k-th largest are all kept). A task scores its {@link #BLOCK} query rows against
 * all of the sequence's keys — a [rows × T] tile, so working memory is O(T) per thread and time is that of dense
 * attention — selects per row with {@link Kernels#keepTopK}, and folds the survivors in one online-softmax step.
 *
 * <p>k larger than the call's sequence length T is an error; k larger than a sequence's number of real keys keeps
 * them all.
 */
public final class TopKAttention extends TiledAttention {
    /** Query rows per task. */
    public static final int BLOCK = 32;

    private final int k;

    public TopKAttention(Kernels kernels, int k) {
        super(kernels, BLOCK, BLOCK);
        if (k < 1) {
            throw new IllegalArgumentException("top-k attention needs k >= 1, was " + k);
        }
        this.k = k;
    }

    public int k() {
        return k;
    }

    @Override
    public String name() {
        return "topk(" + k + ")";
    }

    @Override
    protected void checkTokens(int tokens) {
        if (k > tokens) {
            throw new IllegalArgumentException("top-k attention: k = " + k + " exceeds the sequence length T = " + tokens
                    + " (k must be <= T)");
        }
    }

    @Override
    protected void attendBlock(Block b, Sweep s) {
        int q0 = b.q0();
        long acc = b.outRow(q0);
        s.begin(b.rows(), b.headSize(), b.scale());
        if (b.keys() > 0) {
            s.scores(b.keys(), b.q(), b.qRow(q0), b.ld(), b.k(), b.kRow(0), b.ld());
            s.keepTopK(k, b.keyMask(), b.maskAt(0));
            s.accumulate(null, 0, b.v(), b.vRow(0), b.ld(), b.out(), acc, b.ldOut());
        }
        s.finish(b.out(), acc, b.ldOut(), b.out(), acc, b.ldOut());
    }
}
