package dev.graft.adapters.testing;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.backbones.huggingface.HfTestModels;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A complete tiny random BERT backbone (HfTestModels.TINY: vocab 50, hidden 16, 2 layers, 20 positions) written as
 * a Hugging Face directory with a real WordPiece {@code tokenizer.json} of 50 tokens, so composed models with heads
 * and adapters run end to end in milliseconds. Words outside the vocabulary become {@code [UNK]}.
 */
public final class TinyBackbone {
    /** Texts the tiny vocabulary mostly covers (short enough for 20 positions). */
    public static final List<String> TEXTS = List.of("where is my card?", "my card is lost.", "the bank is closed",
            "a new card, please!");

    private static final List<String> WORDS = List.of("the", "my", "card", "is", "where", "lost", "bank", "a", "new",
            "please", "closed", ".", "?", "!", ",");

    private TinyBackbone() {
    }

    /** Writes the tiny model (random weights from {@code seed}) into {@code dir} (which must not exist yet). */
    public static Path write(Path dir, long seed) throws IOException {
        Path src = Files.createTempDirectory(dir.toAbsolutePath().getParent(), "tiny-src");
        try (TensorArena arena = TensorArena.root("tiny-write");
             BertCheckpoint ck = HfTestModels.checkpoint(src,
                     HfTestModels.randomWeights(arena.child("w"), HfTestModels.TINY, true, seed), arena.child("ck"))) {
            HfBertDirectory.write(ck, dir);
        }
        Files.writeString(dir.resolve(HfBertDirectory.TOKENIZER_FILE), tokenizerJson());
        return dir;
    }

    /** Opens a backbone over the tiny model in {@code dir} on {@code kernels} (not closed by the backbone). */
    public static BertBackbone open(Path dir, Kernels kernels) throws IOException {
        return Backbones.builder(dir.toString()).optKernels(kernels).build();
    }

    /** Opens a backbone over the tiny model in {@code dir} with its own single-threaded kernels. */
    public static BertBackbone open(Path dir) throws IOException {
        return Backbones.builder(dir.toString()).optThreads(1).build();
    }

    /** A BERT WordPiece tokenizer.json: 5 special tokens, 26 letters, 15 words and punctuation, 4 suffixes. */
    static String tokenizerJson() {
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            vocab.add(String.valueOf(c));
        }
        vocab.addAll(WORDS);
        vocab.addAll(List.of("##s", "##e", "##d", "##ing"));
        if (vocab.size() != HfTestModels.TINY.vocabSize()) {
            throw new IllegalStateException("the tiny vocabulary has " + vocab.size() + " tokens");
        }
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab.size(); i++) {
            v.append(i == 0 ? "" : ",").append('"').append(vocab.get(i)).append("\":").append(i);
        }
        StringBuilder added = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            added.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append(",\"content\":\"").append(vocab.get(i))
                    .append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}");
        }
        return """
                {"version":"1.0","truncation":null,"padding":null,
                 "added_tokens":[%s],
                 "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true},
                 "pre_tokenizer":{"type":"BertPreTokenizer"},
                 "post_processor":{"type":"TemplateProcessing",
                   "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}}],
                   "pair":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}},
                           {"Sequence":{"id":"B","type_id":1}},{"SpecialToken":{"id":"[SEP]","type_id":1}}],
                   "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
                 "decoder":{"type":"WordPiece","prefix":"##","cleanup":true},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
                   "vocab":{%s}}}
                """.formatted(added, v);
    }
}
