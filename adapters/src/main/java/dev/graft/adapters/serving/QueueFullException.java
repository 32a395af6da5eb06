package dev.graft.adapters.serving;

import java.util.concurrent.RejectedExecutionException;

/**
 * A submission refused because the serving front's queue holds its capacity of requests: back-pressure, thrown at
 * once by {@link ServingFront#submit} so that the caller can shed load or retry later.
 */
public final class QueueFullException extends RejectedExecutionException {
    private final int capacity;

    QueueFullException(int capacity) {
        super("the serving queue is full: " + capacity + " requests are waiting (optQueueCapacity " + capacity
                + "); retry later or shed load");
        this.capacity = capacity;
    }

    /** The queue's capacity, in requests. */
    public int capacity() {
        return capacity;
    }
}
