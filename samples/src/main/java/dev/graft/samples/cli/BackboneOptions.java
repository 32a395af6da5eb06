package dev.graft.samples.cli;

import dev.graft.attention.spec.AttentionSpec;
import dev.graft.attention.spec.AttentionSpecException;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.models.EmbeddedModel;
import dev.graft.backbones.models.EmbeddedModels;
import dev.graft.core.backbone.Pooling;
import dev.graft.backbones.bert.BertCheckpoint;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The options every command that runs a backbone shares: --model, --threads, --max-length, --pooling, --attention.
 *
 * @param model     an embedded model's name, or a model directory's absolute, normalised path
 * @param maxLength the --max-length, or 0 for the model's limit
 */
record BackboneOptions(String model, int threads, int maxLength, Pooling pooling, AttentionSpec attention) {
    /** The shortest sequence a BERT template needs ([CLS], a token, [SEP]). */
    static final int MIN_LENGTH = 3;

    static final String USAGE = String.format(Locale.ROOT, """
              --model NAME|DIR    an embedded model (%s; default %s) or a Hugging Face model directory
              --threads N         compute threads (default: all %d processors)
              --max-length N      longest token sequence; longer inputs are truncated
                                  (3 to the model's limit; default: the limit, 512 for the embedded models)
              --pooling mean|cls  sentence pooling (default: what the model card says; mean for directories)
              --attention SPEC    attention pattern per layer range (default all:dense; see docs/ATTENTION.md),
                                  e.g. '0-2:window(8,global=cls),3-5:dense', 'all:topk(8)', 'all:blocksparse(64)'""",
            String.join(", ", EmbeddedModels.names()), EmbeddedModels.defaultName(),
            Runtime.getRuntime().availableProcessors());

    static BackboneOptions read(Options o) {
        String model = resolveModel(o.get("model", EmbeddedModels.defaultName()));
        int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        // checked against the model's limit in open(); absent: 0, the limit itself
        int maxLength = o.has("max-length") ? o.getInt("max-length", 0, Integer.MIN_VALUE, Integer.MAX_VALUE) : 0;
        String p = o.get("pooling", null);
        Pooling pooling;
        try {
            pooling = p != null ? Pooling.parse(p) : defaultPooling(model);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--pooling: " + e.getMessage());
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

    /**
     * What a head records and a later run can load from any working directory: an embedded model's name stays a
     * name, a directory becomes its absolute, normalised path.
     */
    static String resolveModel(String model) {
        if (model.isBlank()) {
            throw new UsageException("--model needs an embedded model name (" + String.join(", ", EmbeddedModels.names())
                    + ") or a model directory, got ''");
        }
        if (EmbeddedModels.names().contains(model)) {
            return model;
        }
        try {
            return Path.of(model).toAbsolutePath().normalize().toString();
        } catch (InvalidPathException e) {
            throw new UsageException("--model: not a model name or a path: '" + model + "'");
        }
    }

    static Pooling defaultPooling(String model) {
        return EmbeddedModels.names().contains(model) ? EmbeddedModels.get(model).pooling() : Pooling.MEAN;
    }

    /** Loads the backbone these options describe. */
    BertBackbone open() throws IOException {
        BertCheckpoint checkpoint = Backbones.load(model);
        try {
            BertBackbone.Builder b = BertBackbone.builder().setCheckpoint(checkpoint).optThreads(threads).optAttention(attention);
            if (maxLength != 0) {
                int limit = checkpoint.config().maxPositions();
                if (maxLength < MIN_LENGTH || maxLength > limit) {
                    throw new UsageException("--max-length must be between " + MIN_LENGTH + " and the model's limit "
                            + limit + " (" + model + "), got " + maxLength);
                }
                b.optMaxLength(maxLength);
            }
            return b.build();
        } catch (AttentionSpecException e) { // a layer range outside this model
            checkpoint.close();
            throw new UsageException("--attention: " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** The embedded model's entry, or null for a directory. */
    EmbeddedModel embedded() {
        return EmbeddedModels.names().contains(model) ? EmbeddedModels.get(model) : null;
    }
}
