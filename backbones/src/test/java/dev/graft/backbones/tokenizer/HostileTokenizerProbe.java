package dev.graft.backbones.tokenizer;

import dev.graft.core.tensor.TensorArena;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a child JVM by {@link HostileTokenizerTest}: opens the tokenizer file {@code args[0]} (vocabulary size
 * {@code args[1]}) and, if that succeeds, encodes a batch with a character outside any small vocabulary. Prints one
 * line — {@code REJECTED <message>}, {@code FAILED <message>} or {@code ENCODED <ids>} — and exits 0; a native abort
 * would instead end the JVM with signal 6 (exit code 134) and no line.
 */
public final class HostileTokenizerProbe {
    private HostileTokenizerProbe() {
    }

    public static void main(String[] args) throws Exception {
        BertTokenizer tokenizer;
        try {
            tokenizer = BertTokenizer.open(Path.of(args[0]), Integer.parseInt(args[1]), 512);
        } catch (IllegalArgumentException e) {
            System.out.println("REJECTED " + e.getMessage());
            return;
        }
        try (tokenizer; TensorArena arena = TensorArena.root("probe")) {
            var batch = tokenizer.encode(List.of("hello world", "hello ☃ world"), arena);
            System.out.println("ENCODED " + java.util.Arrays.toString(batch.inputIds().toIntArray()));
        } catch (RuntimeException e) {
            System.out.println("FAILED " + e.getMessage());
        }
    }
}
