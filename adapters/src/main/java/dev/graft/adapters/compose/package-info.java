/**
 * Composition: one frozen backbone, many named heads, one backbone pass per call (one per distinct adapter when
 * heads read the backbone through adapters, attached once at build time). {@link
 * dev.graft.adapters.compose.ComposedModel} is built fluently, validated once, immutable and thread-safe; a call
 * is compiled into a {@link dev.graft.adapters.compose.Plan} of sealed {@link dev.graft.adapters.compose.Step}
 * records and executed in one place. {@link dev.graft.adapters.compose.BackbonePass} turns the hidden states into
 * the feature rows heads read, for inference and for the training feature cache alike. {@code predictRows} takes a
 * {@link dev.graft.adapters.compose.Request} per row (text and heads) and routes rows over different adapters
 * through one backbone pass ({@code SiteHooks.routed}), answering a {@link dev.graft.adapters.compose.RowResult} per
 * row. Depends on {@code head},
 * {@code adapter} (attaching adapters, saving a head with its adapter) and {@link dev.graft.adapters.AdapterTypes}
 * (the built-in adapter types a saved model is read with by default).
 */
package dev.graft.adapters.compose;
