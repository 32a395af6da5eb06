package dev.graft.adapters.serving;

import java.util.concurrent.RejectedExecutionException;

/**
 * A request the serving front will not run because it was closed: thrown by {@link ServingFront#submit} after
 * {@link ServingFront#close()} or {@link ServingFront#shutdownNow()}, and the failure of every request still queued
 * when {@link ServingFront#shutdownNow()} was called.
 */
public final class FrontClosedException extends RejectedExecutionException {
    FrontClosedException(String message) {
        super(message);
    }
}
