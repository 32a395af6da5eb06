package dev.graft.adapters.live;

/**
 * An {@link AdapterCache} could not make room for an adapter within its budget: the budget is held by adapters that
 * calls still use, and none was given back within the cache's wait, or the adapter alone is larger than the budget.
 * The message gives the budget, the bytes held and what holds them. Only the call asking for the adapter fails.
 */
public final class CacheFullException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    CacheFullException(String message) {
        super(message);
    }
}
