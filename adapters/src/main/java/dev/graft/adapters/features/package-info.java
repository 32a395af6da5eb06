/**
 * The feature cache head training reads: frozen backbone outputs written once to Arrow IPC files in the
 * {@code arrow.fixed_shape_tensor} layout ({@link dev.graft.adapters.features.FeatureCache}) and read back
 * memory-mapped ({@link dev.graft.adapters.features.FeatureFile}), keyed by backbone, feature kind and data so
 * that a second run on the same data reuses them.
 */
package dev.graft.adapters.features;
