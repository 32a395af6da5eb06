package dev.graft.samples.cli;

import dev.graft.attention.spec.AttentionSpec;
import dev.graft.attention.spec.AttentionSpecException;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.models.EmbeddedModel;
import dev.graft.backbones.models.EmbeddedModels;
import dev.graft.core.backbone.Pooling;
import java.io.IOException;

/** The options every command that runs a backbone shares: --model, --threads, --max-length, --pooling, --attention. */
record BackboneOptions(String model, int threads, int maxLength, Pooling pooling, AttentionSpec attention) {

    static final String USAGE = """
              --model NAME|DIR    an embedded model (%s; default %s) or a Hugging Face model directory
              --threads N         compute threads (default: all %d processors)
              --max-length N      longest token sequence; longer inputs are truncated (default: the model's 512)
              --pooling mean|cls  sentence pooling (default: what the model card says; mean for directories)
              --attention SPEC    attention pattern per layer range (default all:dense; see docs/ATTENTION.md),
                                  e.g. '0-2:window(8,global=cls),3-5:dense', 'all:topk(8)', 'all:blocksparse(64)'"""
            .formatted(String.join(", ", EmbeddedModels.names()), EmbeddedModels.defaultName(),
                    Runtime.getRuntime().availableProcessors());

    static BackboneOptions read(Options o) {
        String model = o.get("model", EmbeddedModels.defaultName());
        int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        int maxLength = o.getInt("max-length", -1, 2, 1 << 20);
        String p = o.get("pooling", null);
        Pooling pooling;
        try {
            pooling = p != null ? Pooling.parse(p) : defaultPooling(model);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String a = o.get("attention", null);
        AttentionSpec attention;
        try {
            attention = a != null ? AttentionSpec.parse(a) : AttentionSpec.dense();
        } catch (AttentionSpecException e) {
            throw new UsageException("--attention: " + e.getMessage());
        }
        return new BackboneOptions(model, threads, maxLength, pooling, attention);
    }

    static Pooling defaultPooling(String model) {
        return EmbeddedModels.names().contains(model) ? EmbeddedModels.get(model).pooling() : Pooling.MEAN;
    }

    /** Loads the backbone these options describe. */
    BertBackbone open() throws IOException {
        BertBackbone.Builder b = Backbones.builder(model).optThreads(threads).optAttention(attention);
        if (maxLength > 0) {
            b.optMaxLength(maxLength);
        }
        try {
            return b.build();
        } catch (AttentionSpecException e) { // a layer range outside this model
            throw new UsageException("--attention: " + e.getMessage());
        }
    }

    /** The embedded model's entry, or null for a directory. */
    EmbeddedModel embedded() {
        return EmbeddedModels.names().contains(model) ? EmbeddedModels.get(model) : null;
    }
}
