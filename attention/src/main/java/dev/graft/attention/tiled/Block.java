package dev.graft.attention.tiled;

import java.lang.foreign.MemorySegment;

/**
 * One task of a tiled attention call, as a pattern sees it: query rows {@code [q0, q0 + rows)} of one
 * (sequence, head). Row t of this head's Q, K, V is at element {@code qRow(t)}, {@code kRow(t)}, {@code vRow(t)}
 * of {@link #q()}, {@link #k()}, {@link #v()} (row stride {@link #ld()}); its output row at {@code outRow(t)} of
 * {@link #out()} (stride {@link #ldOut()}).
 *
 * <p>{@link #keys()} is one past the sequence's last unmasked key: keys beyond it are padding and never visited.
 * {@link #keyMask()} is the padding mask of this sequence when it has holes before that point (key t at element
 * {@code maskAt(t)}), else null — a right-padded sequence needs no mask at all.
 *
 * <p>A mutable per-thread object, refilled for every task; patterns read it and must not keep it.
 */
public final class Block {
    private static final java.lang.foreign.ValueLayout.OfInt I32 =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    MemorySegment q;
    MemorySegment k;
    MemorySegment v;
    MemorySegment out;
    MemorySegment mask;
    long qBase;
    long kBase;
    long vBase;
    long outBase;
    long maskBase;
    int ld;
    int ldOut;
    int tokens;
    int keys;
    boolean holes;
    int headSize;
    float scale;
    int sequence;
    int head;
    int q0;
    int rows;

    Block() {
    }

    public MemorySegment q() {
        return q;
    }

    public MemorySegment k() {
        return k;
    }

    public MemorySegment v() {
        return v;
    }

    public MemorySegment out() {
        return out;
    }

    /** Row stride of Q, K and V, in elements. */
    public int ld() {
        return ld;
    }

    /** Row stride of the output, in elements. */
    public int ldOut() {
        return ldOut;
    }

    /** Element offset of position t's query (this head's columns). */
    public long qRow(int t) {
        return qBase + (long) t * ld;
    }

    public long kRow(int t) {
        return kBase + (long) t * ld;
    }

    public long vRow(int t) {
        return vBase + (long) t * ld;
    }

    public long outRow(int t) {
        return outBase + (long) t * ldOut;
    }

    /** The padding mask when this sequence has holes before {@link #keys()}, else null. */
    public MemorySegment keyMask() {
        return holes ? mask : null;
    }

    /** The call's padding mask (null when the call had none), whether or not it has holes. */
    public MemorySegment rawMask() {
        return mask;
    }

    /** Element offset of position t's entry in the mask. */
    public long maskAt(int t) {
        return maskBase + t;
    }

    /** Whether key t is a real (unmasked) token. */
    public boolean keyKept(int t) {
        return t < keys && (mask == null || mask.getAtIndex(I32, maskBase + t) != 0);
    }

    /** Padded sequence length T. */
    public int tokens() {
        return tokens;
    }

    /** One past the last unmasked key (0 when the sequence is all padding). */
    public int keys() {
        return keys;
    }

    public int headSize() {
        return headSize;
    }

    public float scale() {
        return scale;
    }

    public int sequence() {
        return sequence;
    }

    public int head() {
        return head;
    }

    /** First query position of this task. */
    public int q0() {
        return q0;
    }

    /** Query rows in this task. */
    public int rows() {
        return rows;
    }
}
