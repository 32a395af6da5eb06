package dev.graft.adapters.live;

import java.nio.file.Path;

/**
 * An adapter directory an {@link AdapterCache} could not load: corrupt, mismatched (another base model, a missing
 * or misshapen tensor, sites the backbone does not have) or unreadable. The message names the adapter, its directory
 * and the cause's own message, which names the file and the field or tensor ({@code PeftIO}'s errors); the cause is
 * the original exception. Only calls asking for this adapter fail.
 */
public final class AdapterLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final transient Path directory;

    AdapterLoadException(String name, Path directory, Throwable cause) {
        super("adapter '" + name + "' (" + directory + ") cannot be loaded: " + cause.getMessage(), cause);
        this.name = name;
        this.directory = directory;
    }

    /** The adapter's name. */
    public String name() {
        return name;
    }

    /** Its directory. */
    public Path directory() {
        return directory;
    }
}
