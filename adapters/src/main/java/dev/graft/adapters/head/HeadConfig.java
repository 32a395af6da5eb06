package dev.graft.adapters.head;

/**
 * A head's architecture as plain data — a record per head type, written to {@code head_config.json} with Jackson
 * and read back to rebuild the head. Everything a head computes follows from its config and its parameters.
 */
public interface HeadConfig {

    /** Which hidden states the head reads. */
    LayerSelection layers();
}
