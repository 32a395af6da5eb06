package dev.graft.adapters.live;

import java.util.Collection;
import java.util.List;

/** A call named an adapter that is not there; the message names it and the adapters that are. */
public final class UnknownAdapterException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    /** At most this many known names are listed in the message (the count is always given). */
    static final int LISTED = 20;

    private final String name;

    UnknownAdapterException(String name, String where, Collection<String> known) {
        super("unknown adapter '" + name + "'" + (where.isEmpty() ? "" : " " + where) + " (" + describe(known) + ")");
        this.name = name;
    }

    /** The same failure again, for another call (message as it was). */
    UnknownAdapterException(String name, String message) {
        super(message);
        this.name = name;
    }

    /** The name that was asked for. */
    public String name() {
        return name;
    }

    /** "known: a, b, c" or "known: 1000 adapters, a, b, …" or "none are known". */
    static String describe(Collection<String> known) {
        if (known.isEmpty()) {
            return "no adapters are known";
        }
        List<String> sorted = known.stream().sorted().toList();
        if (sorted.size() <= LISTED) {
            return "known: " + String.join(", ", sorted);
        }
        return "known: " + sorted.size() + " adapters, " + String.join(", ", sorted.subList(0, LISTED)) + ", …";
    }
}
