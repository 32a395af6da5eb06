package dev.graft.adapters.metrics;

import java.util.Objects;

/** An entity span over word positions {@code [start, endExclusive)} with its type ({@code PER} for {@code B-PER}). */
public record Span(String type, int start, int endExclusive) {

    public Span {
        Objects.requireNonNull(type, "type");
        if (start < 0 || endExclusive <= start) {
            throw new IllegalArgumentException("span [" + start + ", " + endExclusive + ") must be non-empty and start at 0 or later");
        }
    }

    /** Number of words in the span. */
    public int length() {
        return endExclusive - start;
    }
}
