/**
 * Dense (exact, full) attention: every query attends to every unmasked key. Depends on core's kernels only.
 */
package dev.graft.attention.dense;
