/**
 * What every head type shares: the {@link dev.graft.adapters.head.Head} and
 * {@link dev.graft.adapters.head.HeadType} contracts, configs as records, which hidden states a head reads
 * ({@link dev.graft.adapters.head.LayerSelection}, {@link dev.graft.adapters.head.FeatureKind}), typed outputs
 * ({@link dev.graft.adapters.head.HeadOutput}), the registry of types, and the on-disk format
 * ({@link dev.graft.adapters.head.HeadIO}: {@code head_config.json} + {@code head.safetensors}, saved atomically).
 */
package dev.graft.adapters.head;
