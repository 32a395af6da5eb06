package dev.graft.backbones.tokenizer;

import static dev.graft.backbones.testing.ModelResources.MAX_POSITIONS;
import static dev.graft.backbones.testing.ModelResources.MINILM_TOKENIZER;
import static dev.graft.backbones.testing.ModelResources.VOCAB_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.backbones.testing.ModelResources;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer.json files that load in the native tokenizer but make it fail on some input. Without [UNK] in the
 * vocabulary, DJL's native batch encoder panics on the first unknown character and aborts the JVM (SIGABRT, exit
 * code 134, reproduced before this fix): such files must be rejected when opened, naming the file and field. The
 * end-to-end case runs in a child JVM, so that an abort fails this test instead of killing the test runner.
 */
class HostileTokenizerTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** MiniLM's tokenizer.json, edited. */
    Path edited(String name, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(ModelResources.bytes(MINILM_TOKENIZER));
        edit.accept(root);
        return Files.write(dir.resolve(name), JSON.writeValueAsBytes(root));
    }

    static void removeUnk(ObjectNode root) {
        ((ObjectNode) root.path("model").path("vocab")).remove("[UNK]");
        ArrayNode added = (ArrayNode) root.path("added_tokens");
        for (int i = added.size() - 1; i >= 0; i--) {
            if (added.get(i).path("content").asText().equals("[UNK]")) {
                added.remove(i);
            }
        }
    }

    @Test
    void aTokenizerWithoutItsUnknownTokenIsRejectedInAChildJvmInsteadOfAbortingIt() throws Exception {
        Path noUnk = edited("no-unk-tokenizer.json", HostileTokenizerTest::removeUnk);
        String line = probe(noUnk, VOCAB_SIZE);
        assertThat(line).startsWith("REJECTED ").contains(noUnk.toString()).contains("model.unk_token")
                .contains("[UNK]").contains("not in model.vocab");
        // the same child with the intact file encodes the same batch: the probe does reach the encoder
        Path intact = Files.write(dir.resolve("tokenizer.json"), ModelResources.bytes(MINILM_TOKENIZER));
        assertThat(probe(intact, VOCAB_SIZE)).startsWith("ENCODED [101, 7592, 2088, 102, 0, 101, 7592, 100, 2088, 102]");
    }

    /** Runs {@link HostileTokenizerProbe} in a child JVM with this JVM's flags; its one output line. */
    static String probe(Path tokenizer, int vocabSize) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx512m", "-DOPT_OUT_TRACKING=true", "-cp", System.getProperty("java.class.path"),
                HostileTokenizerProbe.class.getName(), tokenizer.toString(), Integer.toString(vocabSize)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as("child JVM exit code (134 = aborted by a native panic); output:%n%s", out).isZero();
        return out.lines().filter(l -> l.startsWith("REJECTED ") || l.startsWith("FAILED ") || l.startsWith("ENCODED "))
                .findFirst().orElseThrow(() -> new AssertionError("no result line from the probe:\n" + out));
    }

    @Test
    void panicProneSettingsAreRejectedAtLoadNamingFileAndField() throws IOException {
        record Case(String name, Consumer<ObjectNode> edit, String field, String detail) {
        }
        List<Case> cases = List.of(
                new Case("unk-renamed.json", r -> ((ObjectNode) r.path("model")).put("unk_token", "<unk>"),
                        "model.unk_token", "\"<unk>\" is not in model.vocab"),
                new Case("unk-missing.json", r -> ((ObjectNode) r.path("model")).remove("unk_token"),
                        "model.unk_token", "missing"),
                new Case("bpe.json", r -> ((ObjectNode) r.path("model")).put("type", "BPE"),
                        "model.type", "WordPiece tokenizers only"),
                new Case("no-type.json", r -> ((ObjectNode) r.path("model")).remove("type"),
                        "model.type", "missing"),
                new Case("prefix.json", r -> ((ObjectNode) r.path("model")).put("continuing_subword_prefix", ""),
                        "model.continuing_subword_prefix", "non-empty string"),
                new Case("max-chars.json", r -> ((ObjectNode) r.path("model")).put("max_input_chars_per_word", 0),
                        "model.max_input_chars_per_word", "positive integer"));
        for (Case c : cases) {
            Path file = edited(c.name(), c.edit());
            assertThatThrownBy(() -> BertTokenizer.open(file, VOCAB_SIZE, MAX_POSITIONS))
                    .as(c.name())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(c.field())
                    .hasMessageContaining(c.detail());
        }
    }

    @Test
    void theFilesOwnTruncationDirectionDoesNotDropTheStartOfLongTexts() throws IOException {
        Path left = edited("left-truncation.json", r -> ((ObjectNode) r.path("truncation")).put("direction", "Left"));
        try (BertTokenizer t = BertTokenizer.open(left, TokenizerSettings.forModel(VOCAB_SIZE, MAX_POSITIONS).withMaxLength(5));
             TensorArena arena = TensorArena.root("left")) {
            // [CLS] one two three [SEP], as documented: the end is cut, never the start
            assertThat(t.encode(List.of("one two three four five six"), arena).inputIds().toIntArray())
                    .containsExactly(101, 2028, 2048, 2093, 102);
        }
    }
}
