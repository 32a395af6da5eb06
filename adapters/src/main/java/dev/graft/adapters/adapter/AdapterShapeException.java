package dev.graft.adapters.adapter;

/**
 * An adapter that does not fit the encoder it is attached to: the message names the adapter, the layer, the site
 * and both shapes.
 */
public final class AdapterShapeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public AdapterShapeException(String message) {
        super(message);
    }
}
