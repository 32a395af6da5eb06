/**
 * Composition blocks: several adapters combined in one adapted backbone pass, with AdapterHub's semantics
 * ({@code adapters.composition}). A {@link dev.graft.adapters.composition.Composition} is plain data (sealed
 * records: {@code Stack}, {@code Average}, {@code Fuse}, {@code Parallel}, {@code BatchSplit} and the leaf
 * {@code Use} naming an adapter); {@link dev.graft.adapters.composition.Composition#validate} checks it against the
 * adapters it names (AdapterHub's nesting rules, which adapter types each block supports, shapes), and
 * {@link dev.graft.adapters.composition.CompositeAdapter} executes a validated one as site hooks — an
 * {@link dev.graft.adapters.adapter.Adapter} that a composed model runs like any other.
 * {@link dev.graft.adapters.composition.Fusion} is AdapterFusion's trained attention over frozen bottleneck
 * adapters (Pfeiffer et al. 2021), trainable through the backbone's backward like any adapter.
 */
package dev.graft.adapters.composition;
