package dev.graft.attention.blocksparse;

import dev.graft.attention.tiled.Block;
import dev.graft.attention.tiled.Sweep;
import dev.graft.attention.tiled.TiledAttention;
import dev.graft.core.kernels.Kernels;

/**
 * Block-sparse attention as in BigBird: the sequence is cut into blocks of {@code block} positions and each query
 * block attends whole key blocks — its sliding window of blocks, the global blocks, and a few random blocks.
 *
 * <p>For query block i of a sequence whose keys fill {@code n} blocks (up to its last unmasked key; see
 * {@link #keyBlocks}):
 * <ul>
 *   <li>window: key blocks i − ⌊w/2⌋ … i + ⌊w/2⌋ (w = {@code windowBlocks}; 3 = the block and one either side);</li>
 *   <li>global: blocks 0 … g−1 ({@code globalBlocks}) are attended by every query block, and their own queries
 *       attend every key block;</li>
 *   <li>random: {@code randomBlocks} more blocks drawn without replacement among those not yet chosen, by a
 *       hash of (seed, head, query block) — fixed for a seed, different per head.</li>
 * </ul>
 * Padding keys are excluded inside the blocks. Cost per head is O(T · b · (w + g + r)); working memory is a few
 * tiles per thread.
 */
public final class BlockSparseAttention extends TiledAttention {
    private final int block;
    private final int windowBlocks;
    private final int globalBlocks;
    private final int randomBlocks;
    private final long seed;

    public BlockSparseAttention(Kernels kernels, int block, int windowBlocks, int globalBlocks, int randomBlocks, long seed) {
        super(kernels, checkBlock(block), Math.max(block, 64));
        if (windowBlocks < 1 || globalBlocks < 0 || randomBlocks < 0) {
            throw new IllegalArgumentException("block-sparse attention needs windowBlocks >= 1, globalBlocks >= 0 and "
                    + "randomBlocks >= 0, was " + windowBlocks + ", " + globalBlocks + ", " + randomBlocks);
        }
        this.block = block;
        this.windowBlocks = windowBlocks;
        this.globalBlocks = globalBlocks;
        this.randomBlocks = randomBlocks;
        this.seed = seed;
    }

    private static int checkBlock(int block) {
        if (block < 1) {
            throw new IllegalArgumentException("block-sparse block size must be >= 1, was " + block);
        }
        return block;
    }

    @Override
    public String name() {
        return "blocksparse(" + block + ",window=" + windowBlocks + ",global=" + globalBlocks + ",random=" + randomBlocks
                + ",seed=" + seed + ")";
    }

    /**
     * Marks in {@code visited[0 .. keyBlocks)} the key blocks that query block {@code queryBlock} of head
     * {@code head} attends, for a sequence whose keys fill {@code keyBlocks} blocks; entries of {@code visited} must
     * be false on entry. Returns how many were marked. Public so that tests can build the pattern's mask.
     */
    public int keyBlocks(int head, int queryBlock, int keyBlocks, boolean[] visited) {
        if (queryBlock < globalBlocks) {
            for (int j = 0; j < keyBlocks; j++) {
                visited[j] = true;
            }
            return keyBlocks;
        }
        int marked = 0;
        for (int j = 0; j < Math.min(globalBlocks, keyBlocks); j++) {
            visited[j] = true;
            marked++;
        }
        int radius = windowBlocks / 2;
        for (int j = Math.max(0, queryBlock - radius); j <= Math.min(keyBlocks - 1, (long) queryBlock + radius); j++) {
            if (!visited[j]) {
                visited[j] = true;
                marked++;
            }
        }
        for (int draw = 0; draw < randomBlocks && marked < keyBlocks; draw++) {
            long h = mix(seed ^ mix(((long) head << 32) ^ queryBlock) ^ mix(draw + 0x632BE59BD9B4E019L));
            int pick = (int) Long.remainderUnsigned(h, keyBlocks - marked); // the pick-th block not yet chosen
            for (int j = 0; j < keyBlocks; j++) {
                if (!visited[j] && pick-- == 0) {
                    visited[j] = true;
                    marked++;
                    break;
                }
            }
        }
        return marked;
    }

    @Override
    protected void attendBlock(Block b, Sweep s) {
        int q0 = b.q0();
        long acc = b.outRow(q0);
        int keys = b.keys();
        int nBlocks = (keys + block - 1) / block;
        s.begin(b.rows(), b.headSize(), b.scale());
        boolean[] visited = s.marks(nBlocks);
        keyBlocks(b.head(), q0 / block, nBlocks, visited);
        for (int j = 0; j < nBlocks; ) {
            if (!visited[j]) {
                j++;
                continue;
            }
            int end = j; // a run of consecutive chosen blocks is swept as one range
            while (end < nBlocks && visited[end]) {
                visited[end++] = false;
            }
            sweepKeys(b, s, j * block, Math.min(keys, end * block), b.q(), b.qRow(q0), b.ld(), b.out(), acc, b.ldOut());
            j = end;
        }
        s.finish(b.out(), acc, b.ldOut(), b.out(), acc, b.ldOut());
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
