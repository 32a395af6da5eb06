package dev.graft.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts texts into batches within a token budget: sorted by length, so that a batch pads little, and as many texts
 * in a batch as fit {@code batchTokens ≥ texts × estimated tokens of its longest text} (at most {@code maxRows}).
 * Tokens are estimated from characters (WordPiece makes about one token of 4 characters of English, plus [CLS] and
 * [SEP]), capped at the token limit: batching needs no tokenizer pass of its own.
 */
public final class TokenBudgetBatches {
    /** Characters per WordPiece token, for the estimate. */
    public static final int CHARS_PER_TOKEN = 4;

    private TokenBudgetBatches() {
    }

    /** The estimated token count of {@code text}, at most {@code maxLength}. */
    public static int estimatedTokens(String text, int maxLength) {
        return (int) Math.min(maxLength, 2L + (text.length() + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN);
    }

    /**
     * Batches of indices into {@code texts} (every non-null one once, shortest first); {@code null} entries are left
     * out.
     */
    public static List<int[]> plan(List<String> texts, int batchTokens, int maxRows, int maxLength) {
        List<Integer> order = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) != null) {
                order.add(i);
            }
        }
        order.sort(Comparator.comparingInt(i -> texts.get(i).length()));
        List<int[]> batches = new ArrayList<>();
        int[] current = new int[maxRows];
        int n = 0;
        for (int i : order) {
            int tokens = estimatedTokens(texts.get(i), maxLength); // the longest so far: the order is by length
            if (n > 0 && (n == maxRows || (long) (n + 1) * tokens > batchTokens)) {
                batches.add(Arrays.copyOf(current, n));
                n = 0;
            }
            current[n++] = i;
        }
        if (n > 0) {
            batches.add(Arrays.copyOf(current, n));
        }
        return batches;
    }
}
