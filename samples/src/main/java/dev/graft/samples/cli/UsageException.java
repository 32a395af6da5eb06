package dev.graft.samples.cli;

/** A command line that cannot be run as written; the message says what is wrong. Exit code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
