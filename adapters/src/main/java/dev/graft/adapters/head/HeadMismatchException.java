package dev.graft.adapters.head;

/**
 * A head attached to a backbone it was not built for (other weights, other width or depth), or a composition
 * whose heads do not fit: the message names the head and both backbones.
 */
public final class HeadMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public HeadMismatchException(String message) {
        super(message);
    }
}
