/**
 * Small task modules that attach to a frozen backbone: task heads that read its output and adapters (LoRA,
 * bottleneck, (IA)³) that add small deltas at typed sites inside its layers — one sub-package per type, so a new
 * type is one new package. Depends on {@code core} only; no adapter package depends on another.
 */
package dev.graft.adapters;
