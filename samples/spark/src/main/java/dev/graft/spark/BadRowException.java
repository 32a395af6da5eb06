package dev.graft.spark;

import java.io.Serial;

/** A row the model fails on: names the partition, the row's index in it and the start of its text. */
public final class BadRowException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;
    /** Characters of the text the message shows. */
    static final int SNIPPET = 60;

    private final int partition;
    private final long row;

    BadRowException(int partition, long row, String text, Throwable cause) {
        super("partition " + partition + ", row " + row + " (text \"" + snippet(text) + "\"): " + cause.getMessage(), cause);
        this.partition = partition;
        this.row = row;
    }

    /** The partition the row is in. */
    public int partition() {
        return partition;
    }

    /** The row's index in its partition, from 0. */
    public long row() {
        return row;
    }

    static String snippet(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= SNIPPET ? oneLine : oneLine.substring(0, SNIPPET) + "…";
    }
}
