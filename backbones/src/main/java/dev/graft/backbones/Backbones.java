package dev.graft.backbones;

import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.huggingface.HfBertDirectory;
import dev.graft.backbones.models.EmbeddedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where backbones come from: a name of a model embedded in a Maven artifact ({@link EmbeddedModels#names()}),
 * or a Hugging Face model directory ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}).
 */
public final class Backbones {
    private Backbones() {
    }

    /** Loads the weights named by {@code nameOrDirectory}; the caller owns (closes) the checkpoint. */
    public static BertCheckpoint load(String nameOrDirectory) throws IOException {
        if (EmbeddedModels.names().contains(nameOrDirectory)) {
            return EmbeddedModels.open(nameOrDirectory);
        }
        Path dir = Path.of(nameOrDirectory);
        if (Files.isDirectory(dir)) {
            return HfBertDirectory.load(dir);
        }
        throw new NoSuchFileException(nameOrDirectory, null, "neither an embedded model (" + String.join(", ",
                EmbeddedModels.names()) + ") nor a Hugging Face model directory");
    }

    /** A ready backbone with default settings (all processors, truncation at the model's limit). */
    public static BertBackbone open(String nameOrDirectory) throws IOException {
        return builder(nameOrDirectory).build();
    }

    /** A builder with the checkpoint already set, for further {@code optX} settings. */
    public static BertBackbone.Builder builder(String nameOrDirectory) throws IOException {
        return BertBackbone.builder().setCheckpoint(load(nameOrDirectory));
    }
}
