package dev.graft.attention.tiled;

import dev.graft.attention.AttentionKernel;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.parallel.ComputePool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Base of the tiled attention kernels. {@link #attend} checks its arguments, finds each sequence's key extent
 * (one past its last unmasked key, and whether the mask has holes before it), and runs one task per
 * (sequence, head, block of {@link #queryBlock()} query rows) on the kernels' {@link ComputePool}; a pattern
 * implements {@link #attendBlock} for one task with a {@link Sweep}.
 *
 * <p>Memory: each thread that runs tasks holds one {@link Sweep} (score tile, statistics, gather buffers) per
 * kernel, sized by the blocks, not by T² — {@link #scratchBytes()} reports the total. A call allocates nothing
 * once warm: the call's state lives in a per-calling-thread object that is also the pool's task.
 *
 * <p>Padding follows {@link AttentionKernel}: masked keys are excluded; every query row, padded or not, is
 * computed; a row that sees no key gets zeros.
 */
public abstract class TiledAttention implements AttentionKernel {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private final Kernels kernels;
    private final ComputePool pool;
    private final int queryBlock;
    private final int keyBlock;
    private final AtomicLong scratchBytes = new AtomicLong();
    private final ThreadLocal<Sweep> sweeps;
    private final ThreadLocal<Call> calls;

    /**
     * @param queryBlock query rows per task (and per score tile)
     * @param keyBlock   keys per score tile in {@link #sweepKeys}
     */
    protected TiledAttention(Kernels kernels, int queryBlock, int keyBlock) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.pool = kernels.pool();
        if (queryBlock < 1 || keyBlock < 1) {
            throw new IllegalArgumentException("block sizes must be >= 1, were " + queryBlock + " and " + keyBlock);
        }
        this.queryBlock = queryBlock;
        this.keyBlock = keyBlock;
        this.sweeps = ThreadLocal.withInitial(() -> new Sweep(this.kernels, scratchBytes));
        this.calls = ThreadLocal.withInitial(() -> new Call(this));
    }

    public final Kernels kernels() {
        return kernels;
    }

    /** Query rows per task. */
    public final int queryBlock() {
        return queryBlock;
    }

    /** Keys per score tile of {@link #sweepKeys}. */
    public final int keyBlock() {
        return keyBlock;
    }

    /**
     * Bytes of scratch this kernel's threads hold (score tiles, statistics, gather buffers, per-call sequence
     * facts): the attention's working memory beyond its inputs and output. GEMM's own packing buffers (a few
     * tiles' worth) are not included.
     */
    public final long scratchBytes() {
        return scratchBytes.get();
    }

    @Override
    public final void attend(int batch, int tokens, int heads, int headSize, float scale,
                             MemorySegment q, long qOff, MemorySegment k, long kOff, MemorySegment v, long vOff, int ldQkv,
                             MemorySegment mask, long maskOff, MemorySegment out, long outOff, int ldOut) {
        checkArguments(batch, tokens, heads, headSize, scale, q, qOff, k, kOff, v, vOff, ldQkv, mask, maskOff, out, outOff, ldOut);
        checkTokens(tokens);
        if (batch == 0 || tokens == 0) {
            return;
        }
        Call c = calls.get();
        c.set(batch, tokens, heads, headSize, scale, q, qOff, k, kOff, v, vOff, ldQkv, mask, maskOff, out, outOff, ldOut);
        try {
            pool.parallelFor(c.tasks, c);
        } finally {
            c.clear();
        }
    }

    /** A pattern's check of the sequence length (top-k: k ≤ T); throws IllegalArgumentException. */
    protected void checkTokens(int tokens) {
    }

    /** Computes the output rows {@code [block.q0(), block.q0() + block.rows())} of one (sequence, head). */
    protected abstract void attendBlock(Block block, Sweep sweep);

    /**
     * Folds keys {@code [from, to)} of the block's sequence into a sweep already begun, in tiles of
     * {@link #keyBlock()} keys, with the sequence's padding mask: the dense inner loop. The queries are the sweep's
     * rows at {@code qOff} (stride ldq) of q; the running sums go to acc.
     */
    protected final void sweepKeys(Block b, Sweep s, int from, int to, MemorySegment q, long qOff, int ldq,
                                   MemorySegment acc, long accOff, int ldAcc) {
        MemorySegment keyMask = b.keyMask();
        for (int kc = from; kc < to; kc += keyBlock) {
            int cols = Math.min(keyBlock, to - kc);
            s.scores(cols, q, qOff, ldq, b.k(), b.kRow(kc), b.ld());
            s.accumulate(keyMask, b.maskAt(kc), b.v(), b.vRow(kc), b.ld(), acc, accOff, ldAcc);
        }
    }

    private void runTask(Call c, int index) {
        int qBlocks = c.queryBlocks;
        int qb = index % qBlocks;
        int bh = index / qBlocks;
        int h = bh % c.heads;
        int seq = bh / c.heads;
        Sweep s = sweeps.get();
        Block b = s.block;
        long row0 = (long) seq * c.tokens;
        long col = (long) h * c.headSize;
        b.q = c.q;
        b.k = c.k;
        b.v = c.v;
        b.out = c.out;
        b.mask = c.mask;
        b.ld = c.ld;
        b.ldOut = c.ldOut;
        b.qBase = c.qOff + row0 * c.ld + col;
        b.kBase = c.kOff + row0 * c.ld + col;
        b.vBase = c.vOff + row0 * c.ld + col;
        b.outBase = c.outOff + row0 * c.ldOut + col;
        b.maskBase = c.maskOff + row0;
        b.tokens = c.tokens;
        b.keys = c.keys[seq];
        b.holes = c.holes[seq];
        b.headSize = c.headSize;
        b.scale = c.scale;
        b.sequence = seq;
        b.head = h;
        b.q0 = qb * queryBlock;
        b.rows = Math.min(queryBlock, c.tokens - b.q0);
        try {
            attendBlock(b, s);
        } finally {
            b.q = b.k = b.v = b.out = b.mask = null;
        }
    }

    private static void checkArguments(int batch, int tokens, int heads, int headSize, float scale,
                                       MemorySegment q, long qOff, MemorySegment k, long kOff, MemorySegment v, long vOff,
                                       int ldQkv, MemorySegment mask, long maskOff, MemorySegment out, long outOff, int ldOut) {
        if (batch < 0 || tokens < 0 || heads < 1 || headSize < 1) {
            throw new IllegalArgumentException("attention: batch " + batch + ", tokens " + tokens + ", heads " + heads
                    + ", head size " + headSize + " (batch and tokens must be >= 0, heads and head size >= 1)");
        }
        if (!(scale > 0)) {
            throw new IllegalArgumentException("attention: scale must be > 0, was " + scale);
        }
        int width = Math.multiplyExact(heads, headSize);
        if (ldQkv < width || ldOut < width) {
            throw new IllegalArgumentException("attention: row strides (" + ldQkv + " for q/k/v, " + ldOut
                    + " for out) must be >= heads × head size = " + width);
        }
        long rows = (long) batch * tokens;
        long span = rows == 0 ? 0 : (rows - 1) * ldQkv + width;
        floats("q", q, qOff, span);
        floats("k", k, kOff, span);
        floats("v", v, vOff, span);
        floats("out", out, outOff, rows == 0 ? 0 : (rows - 1) * ldOut + width);
        if (out.isReadOnly()) {
            throw new IllegalArgumentException("attention: out is read-only");
        }
        if (mask != null && (maskOff < 0 || mask.byteSize() / Integer.BYTES - maskOff < rows)) {
            throw new IndexOutOfBoundsException("attention: mask needs " + rows + " i32 at element offset " + maskOff
                    + " but holds " + mask.byteSize() / Integer.BYTES);
        }
    }

    private static void floats(String what, MemorySegment s, long off, long count) {
        Objects.requireNonNull(s, () -> "attention: " + what + " is null");
        if (off < 0 || s.byteSize() / Float.BYTES - off < count) {
            throw new IndexOutOfBoundsException("attention: " + what + " needs " + count + " f32 at element offset " + off
                    + " but holds " + s.byteSize() / Float.BYTES);
        }
    }

    /** One call's arguments and per-sequence facts; the pool's task. Reused by its calling thread. */
    private static final class Call implements ComputePool.IndexedTask {
        private final TiledAttention kernel;
        int tokens;
        int heads;
        int headSize;
        float scale;
        MemorySegment q;
        MemorySegment k;
        MemorySegment v;
        MemorySegment mask;
        MemorySegment out;
        long qOff;
        long kOff;
        long vOff;
        long maskOff;
        long outOff;
        int ld;
        int ldOut;
        int queryBlocks;
        int tasks;
        int[] keys = new int[0];
        boolean[] holes = new boolean[0];

        Call(TiledAttention kernel) {
            this.kernel = kernel;
        }

        void set(int batch, int tokens, int heads, int headSize, float scale, MemorySegment q, long qOff,
                 MemorySegment k, long kOff, MemorySegment v, long vOff, int ld, MemorySegment mask, long maskOff,
                 MemorySegment out, long outOff, int ldOut) {
            this.tokens = tokens;
            this.heads = heads;
            this.headSize = headSize;
            this.scale = scale;
            this.q = q;
            this.k = k;
            this.v = v;
            this.mask = mask;
            this.out = out;
            this.qOff = qOff;
            this.kOff = kOff;
            this.vOff = vOff;
            this.maskOff = maskOff;
            this.outOff = outOff;
            this.ld = ld;
            this.ldOut = ldOut;
            this.queryBlocks = (tokens + kernel.queryBlock - 1) / kernel.queryBlock;
            this.tasks = Math.multiplyExact(Math.multiplyExact(batch, heads), queryBlocks);
            if (keys.length < batch) {
                kernel.scratchBytes.addAndGet(5L * (batch - keys.length));
                keys = new int[batch];
                holes = new boolean[batch];
            }
            for (int b = 0; b < batch; b++) {
                int last = -1;
                int kept = 0;
                if (mask == null) {
                    last = tokens - 1;
                    kept = tokens;
                } else {
                    long row = maskOff + (long) b * tokens;
                    for (int t = 0; t < tokens; t++) {
                        if (mask.getAtIndex(I32, row + t) != 0) {
                            last = t;
                            kept++;
                        }
                    }
                }
                keys[b] = last + 1;
                holes[b] = kept != last + 1;
            }
        }

        void clear() {
            q = k = v = mask = out = null;
        }

        @Override
        public void run(int index, int worker) {
            kernel.runTask(this, index);
        }
    }
}
