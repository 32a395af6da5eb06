package dev.graft.adapters.serving;

import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Request;
import dev.graft.core.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;

/**
 * Warm-up at {@link ServingFront.Builder#build()}: runs the model on representative batches — each text alone,
 * and batches of mixed lengths filling the token budget — over every head, until a round costs no more than 1.25× the
 * fastest round before it (at least {@value #MIN_ROUNDS}, at most {@value #MAX_ROUNDS} rounds), then the front's own
 * path (counting, queueing, batching, completing) with the same texts, so that class loading, the tokenizer's native library,
 * the kernels' JIT compilation and the Arrow allocator's first chunks are paid before the first real request.
 */
final class WarmUp {
    static final int MIN_ROUNDS = 3;
    static final int MAX_ROUNDS = 12;

    private static final List<String> SENTENCES = List.of(
            "How do I reset my password?",
            "The parcel arrived two days late and the box was damaged.",
            "Can you tell me whether the museum is open on public holidays?",
            "I was charged twice for the same order, please refund one of the payments.",
            "What time does the last train leave for the airport tonight?",
            "My new phone keeps restarting after the latest software update.",
            "Is it possible to change the delivery address after the order has shipped?",
            "The weather forecast says heavy rain and strong winds along the coast tomorrow morning.");

    private WarmUp() {
    }

    /** Built-in texts of short to maximal lengths that fit the model's maximum length. */
    static List<String> texts(ComposedModel model) {
        List<String> all = new ArrayList<>(SENTENCES);
        for (int n = 2; n <= 16; n *= 2) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : " ").append(SENTENCES.get(i % SENTENCES.size()));
            }
            all.add(b.toString());
        }
        List<String> fitting = new ArrayList<>();
        try (TensorArena arena = TensorArena.root("warm-up")) {
            for (String t : all) {
                try (TensorArena a = arena.child("count")) {
                    model.backbone().tokenizer().encode(List.of(t), a);
                    fitting.add(t);
                } catch (IllegalArgumentException tooLong) {
                    // truncation off and longer than the model's positions: not a text a request may carry
                }
            }
        }
        return fitting;
    }

    /** Runs the warm-up rounds. */
    static void run(ComposedModel model, List<String> texts, int tokenBudget) {
        List<Request> singles = texts.stream().map(Request::new).toList();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            long t0 = System.nanoTime();
            for (Request r : singles) {
                model.predictRows(List.of(r));
            }
            // batches of every text, as many rows as the budget allows at the longest text's length
            for (int size = 2; size <= Math.min(64, tokenBudget / 16); size *= 2) {
                List<Request> batch = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    batch.add(singles.get((round + i) % Math.min(singles.size(), SENTENCES.size())));
                }
                model.predictRows(batch);
            }
            long took = System.nanoTime() - t0;
            if (round >= MIN_ROUNDS && took <= best + best / 4) {
                return;
            }
            best = Math.min(best, took);
        }
    }
}
