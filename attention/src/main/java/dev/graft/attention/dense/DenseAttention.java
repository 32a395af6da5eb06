package dev.graft.attention.dense;

import dev.graft.attention.tiled.Block;
import dev.graft.attention.tiled.Sweep;
import dev.graft.attention.tiled.TiledAttention;
import dev.graft.core.kernels.Kernels;

/**
 * Exact attention, tiled with an online softmax (FlashAttention's schedule): each task takes a block of query rows
 * of one (sequence, head) and sweeps it over the keys in blocks — scores of the tile by GEMM, folded into running
 * row maxima and sums, values accumulated by GEMM straight into the output rows, divided once at the end. The
 * T × T score matrix is never materialised: working memory is one query-block × key-block tile per thread.
 *
 * <p>Padding: keys after a sequence's last unmasked key are never visited (right padding costs nothing); a mask
 * with holes before that is applied inside the softmax.
 */
public final class DenseAttention extends TiledAttention {
    /** Query rows per task and keys per score tile. */
    public static final int BLOCK = 64;

    public DenseAttention(Kernels kernels) {
        this(kernels, BLOCK, BLOCK);
    }

    /** With explicit tile sizes (tests use small ones to cross many tile edges). */
    public DenseAttention(Kernels kernels, int queryBlock, int keyBlock) {
        super(kernels, queryBlock, keyBlock);
    }

    @Override
    public String name() {
        return "dense";
    }

    @Override
    protected void attendBlock(Block b, Sweep s) {
        s.begin(b.rows(), b.headSize(), b.scale());
        long o = b.outRow(b.q0());
        sweepKeys(b, s, 0, b.keys(), b.q(), b.qRow(b.q0()), b.ld(), b.out(), o, b.ldOut());
        s.finish(b.out(), o, b.ldOut(), b.out(), o, b.ldOut());
    }
}
