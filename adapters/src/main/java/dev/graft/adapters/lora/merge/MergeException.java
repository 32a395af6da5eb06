package dev.graft.adapters.lora.merge;

/** Adapters that cannot be merged as asked: the message names the adapters (or files) and the reason. */
public final class MergeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public MergeException(String message) {
        super(message);
    }
}
