/**
 * Adapter sites: the typed places inside a backbone's layers where small task modules (LoRA, bottleneck adapters,
 * (IA)³) add their deltas. A backbone declares its sites with their shapes ({@link dev.graft.backbones.sites.SiteShape});
 * a forward pass takes an immutable {@link dev.graft.backbones.sites.SiteHooks} and calls each hook at its site, so
 * the adapters live beside the shared frozen backbone, never inside it. {@link dev.graft.backbones.sites.SiteHooks#routed}
 * gives each row segment of one pass its own hooks (per-row adapter routing; LoRA segments through one
 * {@code Kernels.sgmv} call). Depends on {@code core} only.
 */
package dev.graft.backbones.sites;
