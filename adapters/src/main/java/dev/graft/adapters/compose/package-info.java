/**
 * Composition: one frozen backbone, many named heads, one backbone pass per call. {@link
 * dev.graft.adapters.compose.ComposedModel} is built fluently, validated once, immutable and thread-safe; a call
 * is compiled into a {@link dev.graft.adapters.compose.Plan} of sealed {@link dev.graft.adapters.compose.Step}
 * records and executed in one place. {@link dev.graft.adapters.compose.BackbonePass} turns the hidden states into
 * the feature rows heads read, for inference and for the training feature cache alike.
 */
package dev.graft.adapters.compose;
