package dev.graft.adapters.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Decodes BIO (IOB2) tag sequences into entity spans the way seqeval does by default (its non-strict
 * {@code get_entities}, used by {@code seqeval.metrics.f1_score} without {@code mode="strict"}):
 * <ul>
 *   <li>{@code B-X} always starts a new span of type X (ending any open span);</li>
 *   <li>{@code I-X} continues an open span of type X, and otherwise — after {@code O}, at the start, or after a span
 *       of another type — starts a new span of type X (the lenient repair seqeval applies to ill-formed output);</li>
 *   <li>{@code O} ends any open span.</li>
 * </ul>
 * The type is everything after the two-character prefix, so {@code B-ORG-X} has type {@code ORG-X}. Only BIO is
 * supported: IOBES ({@code E-}/{@code S-}) and other schemes are rejected rather than guessed at.
 */
public final class BioSpans {

    private BioSpans() {
    }

    /** The spans of one sentence's tags, in order of their start. Every tag must be {@code O}, {@code B-x} or {@code I-x}. */
    public static List<Span> decode(List<String> tags) {
        List<Span> spans = new ArrayList<>();
        String openType = null;
        int openStart = -1;
        for (int i = 0; i < tags.size(); i++) {
            String tag = tags.get(i);
            char prefix = prefix(tag, i);
            String type = prefix == 'O' ? null : tag.substring(2);
            boolean continues = prefix == 'I' && type.equals(openType);
            if (!continues && openType != null) {
                spans.add(new Span(openType, openStart, i));
                openType = null;
            }
            if (prefix != 'O' && !continues) {
                openType = type;
                openStart = i;
            }
        }
        if (openType != null) {
            spans.add(new Span(openType, openStart, tags.size()));
        }
        return spans;
    }

    /**
     * Whether {@code tags} is a BIO tag set: every tag is {@code O}, {@code B-x} or {@code I-x} (x non-empty) and at
     * least one is a {@code B-} tag. UPOS tags ({@code NOUN}, {@code VERB}…) are not.
     */
    public static boolean isBioTagSet(Collection<String> tags) {
        boolean anyBegin = false;
        for (String tag : tags) {
            if (tag == null) {
                return false;
            }
            if (tag.equals("O")) {
                continue;
            }
            if (tag.length() < 3 || tag.charAt(1) != '-' || (tag.charAt(0) != 'B' && tag.charAt(0) != 'I')) {
                return false;
            }
            anyBegin |= tag.charAt(0) == 'B';
        }
        return anyBegin;
    }

    private static char prefix(String tag, int position) {
        if (tag == null) {
            throw new IllegalArgumentException("tag at position " + position + " is null");
        }
        if (tag.equals("O")) {
            return 'O';
        }
        if (tag.length() >= 3 && tag.charAt(1) == '-' && (tag.charAt(0) == 'B' || tag.charAt(0) == 'I')) {
            return tag.charAt(0);
        }
        throw new IllegalArgumentException("tag '" + tag + "' at position " + position
                + " is not a BIO tag (O, B-type or I-type)");
    }
}
