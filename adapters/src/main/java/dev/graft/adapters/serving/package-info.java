/**
 * Serving: a request-batching front over a {@link dev.graft.adapters.compose.ComposedModel}. Callers submit single
 * texts (with optional head names) from any number of threads and get a {@link java.util.concurrent.CompletableFuture};
 * {@link dev.graft.adapters.serving.ServingFront} queues them in a bounded queue (a full queue rejects at once with
 * {@link dev.graft.adapters.serving.QueueFullException}), forms batches by a budget of real tokens and a maximum
 * wait, in length-aware order, and runs each batch as one routed backbone pass
 * ({@link dev.graft.adapters.compose.ComposedModel#predictRows}) on a few worker threads. Metrics reach a service
 * through {@link dev.graft.adapters.serving.ServingListener}; {@link dev.graft.adapters.serving.ServingRecorder} is
 * a built-in listener that keeps counts and latency percentiles. Depends on {@code compose} only.
 */
package dev.graft.adapters.serving;
