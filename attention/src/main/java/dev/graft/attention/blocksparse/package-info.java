/**
 * Block-sparse attention, BigBird-style: window blocks, global blocks and seeded random blocks per query block.
 * Depends on {@code core}'s kernels and {@link dev.graft.attention.tiled} only.
 */
package dev.graft.attention.blocksparse;
