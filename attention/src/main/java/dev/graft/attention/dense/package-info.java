/**
 * Dense (exact, full) attention, tiled with an online softmax: every query attends to every unmasked key, and the
 * T × T score matrix is never materialised. The backbone's default. Depends on {@code core}'s kernels and
 * {@link dev.graft.attention.tiled} only.
 */
package dev.graft.attention.dense;
