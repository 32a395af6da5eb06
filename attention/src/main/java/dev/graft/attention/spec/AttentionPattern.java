package dev.graft.attention.spec;

import dev.graft.attention.window.WindowAttention;
import java.util.List;

/**
 * Which keys each query attends to — a pattern as plain data; {@link AttentionKernels#create} turns one into a
 * kernel, and each record's {@code toString()} is its text in the {@link AttentionSpec} syntax (what provenance records).
 * Constructors reject impossible values with {@link IllegalArgumentException}s naming the field.
 */
public sealed interface AttentionPattern {

    /** Every query attends every unmasked key (exact; tiled, never a T × T matrix). */
    record Dense() implements AttentionPattern {
        @Override
        public String toString() {
            return "dense";
        }
    }

    /**
     * Sliding window: query i attends key j when |j − i| ≤ ⌊width/2⌋·dilation and j − i is a multiple of the
     * dilation; the global tokens (positions) attend every key and are attended by every query.
     *
     * @param globalTokens sorted, distinct, ≥ 0 (the constructor normalises the order and drops duplicates)
     */
    record Window(int width, int dilation, List<Integer> globalTokens) implements AttentionPattern {
        public Window {
            if (width < 1) {
                throw new IllegalArgumentException("window width must be >= 1, was " + width);
            }
            if (dilation < 1) {
                throw new IllegalArgumentException("window dilation must be >= 1, was " + dilation);
            }
            globalTokens = globalTokens.stream().distinct().sorted().toList();
            if (!globalTokens.isEmpty() && globalTokens.getFirst() < 0) {
                throw new IllegalArgumentException("global token positions must be >= 0, was " + globalTokens.getFirst());
            }
        }

        /** A contiguous window without global tokens. */
        public Window(int width) {
            this(width, 1, List.of());
        }

        @Override
        public String toString() {
            String globals = WindowAttention.positions(globalTokens.stream().mapToInt(Integer::intValue).toArray());
            return "window(" + width + (dilation > 1 ? ",dilation=" + dilation : "")
                    + (globalTokens.isEmpty() ? "" : ",global=" + (globals.equals("0") ? "cls" : globals)) + ")";
        }
    }

    /**
     * BigBird-style block-sparse attention over blocks of {@code block} positions: window blocks within
     * ⌊windowBlocks/2⌋ of the diagonal, the first {@code globalBlocks} blocks global, and {@code randomBlocks} random
     * blocks per query block drawn from {@code seed}.
     */
    record BlockSparse(int block, int windowBlocks, int globalBlocks, int randomBlocks, long seed) implements AttentionPattern {
        /** BigBird's defaults for the rest: 3 window blocks, 2 global, 3 random, seed 0. */
        public static final int DEFAULT_WINDOW = 3;
        public static final int DEFAULT_GLOBAL = 2;
        public static final int DEFAULT_RANDOM = 3;

        public BlockSparse {
            if (block < 1) {
                throw new IllegalArgumentException("blocksparse block size must be >= 1, was " + block);
            }
            if (windowBlocks < 1) {
                throw new IllegalArgumentException("blocksparse window must be >= 1 block, was " + windowBlocks);
            }
            if (globalBlocks < 0) {
                throw new IllegalArgumentException("blocksparse global must be >= 0 blocks, was " + globalBlocks);
            }
            if (randomBlocks < 0) {
                throw new IllegalArgumentException("blocksparse random must be >= 0 blocks, was " + randomBlocks);
            }
        }

        @Override
        public String toString() {
            return "blocksparse(" + block + ",window=" + windowBlocks + ",global=" + globalBlocks + ",random=" + randomBlocks
                    + ",seed=" + seed + ")";
        }
    }

    /** Each query keeps its k largest scores (ties with the k-th all kept) and renormalises. k ≤ T at run time. */
    record TopK(int k) implements AttentionPattern {
        public TopK {
            if (k < 1) {
                throw new IllegalArgumentException("topk k must be >= 1, was " + k);
            }
        }

        @Override
        public String toString() {
            return "topk(" + k + ")";
        }
    }
}
