package dev.graft.adapters.serving;

/**
 * What a {@link ServingFront} reports as it runs, for a service to forward to its metrics library (Micrometer,
 * OpenTelemetry, Prometheus…). Called on the front's worker threads and on the threads that complete or reject
 * requests, possibly concurrently: implementations must be thread-safe and fast (no blocking). An exception thrown
 * by a listener is ignored so that it cannot fail a request. {@link ServingRecorder} is a ready-made one.
 */
public interface ServingListener {

    /** A listener that ignores everything. */
    ServingListener NONE = new ServingListener() { };

    /** A batch was run through the model. */
    default void batchRan(Batch batch) {
    }

    /**
     * A request's future completed: normally ({@code failure == null}), or exceptionally (a bad input, a row the
     * model failed, a timeout, a cancellation, a shutdown).
     *
     * @param latencyNanos from {@link ServingFront#submit} to completion
     */
    default void requestDone(long latencyNanos, Throwable failure) {
    }

    /** A submission was refused because the queue was full. */
    default void rejected(int queueCapacity) {
    }

    /**
     * One batch.
     *
     * @param requests     rows run
     * @param realTokens   their real tokens (special tokens included, no padding)
     * @param paddedTokens rows × the longest row: what the encoder computed
     * @param queueDepth   requests left in the queue when the batch was taken
     * @param computeNanos time in {@code predictRows}
     */
    record Batch(int requests, int realTokens, int paddedTokens, int queueDepth, long computeNanos) {
    }
}
