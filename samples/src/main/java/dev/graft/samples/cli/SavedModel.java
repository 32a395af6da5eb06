package dev.graft.samples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.HeadFormatException;
import dev.graft.adapters.head.Json;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A composed model saved by {@code compose} ({@link ComposedModel#save}) opened for use: the backbone its
 * {@code model.json} records (by name, with the token limit it was composed under; every head is checked against
 * its weights hash), and the model with every head and adapter.
 */
record SavedModel(Path dir, BertBackbone backbone, ComposedModel model) implements AutoCloseable {
    /** The file that marks a directory as a saved composed model. */
    static final String MARKER = "model.json";

    /** Whether {@code dir} holds a saved composed model. */
    static boolean isModel(Path dir) {
        return Files.isRegularFile(dir.resolve(MARKER));
    }

    /**
     * The model in {@code dir} on {@code backboneModel} (an embedded model's name or a model directory), or on the
     * backbone {@code model.json} records when it is null.
     */
    static SavedModel open(Path dir, int threads, String backboneModel) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such directory (--model: a composed model saved by compose)");
        }
        if (!isModel(dir)) {
            throw new HeadFormatException(dir.resolve(MARKER), "missing: " + dir + " is not a composed model saved by"
                    + " compose" + (Files.isRegularFile(dir.resolve("head_config.json")) ? "; it is a single head: use --head " + dir : ""));
        }
        JsonNode root = Json.mapper().readTree(dir.resolve(MARKER).toFile());
        String recorded = root.path("provenance").path("backbone").path("name").asText("");
        String name = backboneModel != null ? backboneModel : recorded;
        if (name.isEmpty()) {
            throw new HeadFormatException(dir.resolve(MARKER), "field 'provenance.backbone.name' is missing; pass"
                    + " --backbone NAME|DIR");
        }
        BertBackbone.Builder b;
        try {
            b = Backbones.builder(name).optThreads(threads);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, (backboneModel != null ? "--backbone: " : "the backbone model "
                    + dir + " was composed on: ") + e.getReason() + (backboneModel != null ? ""
                    : "; pass --backbone NAME|DIR to say where it is"));
        }
        int maxLength = root.path("max_length").asInt(0);
        if (maxLength > 0) {
            b.optMaxLength(maxLength);
        }
        BertBackbone backbone = b.build();
        try {
            return new SavedModel(dir, backbone, ComposedModel.load(dir, backbone, HeadTypes.registry()));
        } catch (IOException | RuntimeException e) {
            backbone.close();
            throw e;
        }
    }

    /** "composed model DIR (heads intent, pos)". */
    String describe() {
        return "composed model " + dir + " (" + model.headNames().size() + " heads: " + String.join(", ", model.headNames()) + ")";
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            backbone.close();
        }
    }
}
