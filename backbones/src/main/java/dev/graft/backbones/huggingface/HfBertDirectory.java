package dev.graft.backbones.huggingface;

import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.LayerNormWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.core.fs.SavedDirectory;
import dev.graft.core.io.NonFiniteWeightException;
import dev.graft.core.io.Safetensors;
import dev.graft.core.io.Safetensors.TensorSource;
import dev.graft.core.io.SafetensorsFile;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face BERT model directory: {@code config.json}, {@code model.safetensors}, {@code tokenizer.json}.
 *
 * <h2>Loading</h2>
 * {@link #load(Path)} reads the config (see {@link HfBertConfigJson} for what is accepted), validates and maps
 * {@code model.safetensors} read-only, and builds {@link BertWeights} from views into the mapping — no weight is
 * copied. Linear weights keep PyTorch's {@code [out, in]} layout ({@link Linear#outIn()} true). Tensor names are
 * accepted with or without the {@code bert.} prefix that task models ({@code BertForMaskedLM}, …) put on the
 * encoder, LayerNorms as {@code .weight/.bias} or the old {@code .gamma/.beta}. Tensors the encoder does not use
 * ({@code pooler.*}, {@code cls.*}, {@code embeddings.position_ids}) are ignored; F16/BF16 files are converted
 * to f32 copies on load. A missing file, a missing tensor, a tensor of the wrong shape or dtype, or a layer the
 * config does not have is an exception naming the file and tensor. Once the shapes fit, every tensor the encoder
 * uses is read once to check it holds no NaN or infinity ({@link dev.graft.core.io.NonFiniteWeightException}
 * naming the tensor and its first bad element; about 20 ms for MiniLM's 22.6 M weights).
 *
 * <h2>Writing</h2>
 * {@link #write(BertCheckpoint, Path)} writes what transformers' {@code BertModel.save_pretrained} writes for the
 * encoder: tensor names without the {@code bert.} prefix, Linear weights {@code [out, in]} (an {@code [in, out]}
 * ONNX weight is transposed while it is written, one tensor at a time), f32, {@code __metadata__} {@code format=pt}
 * (which transformers requires). No pooler is written (Graft's checkpoints have none; transformers initialises
 * it and says so). The directory appears atomically ({@link SavedDirectory}): everything is written into a hidden
 * sibling directory that is renamed to the target at the end; on failure, or when the JVM ends first, it is deleted
 * and the target is untouched. An existing target must be an empty directory.
 */
public final class HfBertDirectory {
    /** The weights file name. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** The config file name. */
    public static final String CONFIG_FILE = HfBertConfigJson.FILE;
    /** The tokenizer file name. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** What {@link #write} saves: a new directory only, never over an existing one. */
    static final SavedDirectory.Kind SAVED_KIND = new SavedDirectory.Kind("Hugging Face model", null, java.util.Set.of());
    private static final String PREFIX = "bert.";
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.");
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int TILE = 32;

    private HfBertDirectory() {
    }

    /** Loads {@code dir} into its own root arena, which the returned checkpoint closes. */
    public static BertCheckpoint load(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        return loadClosingOnFailure(dir, TensorArena.root("hf " + dir));
    }

    /**
     * Loads {@code dir} into a new child arena of {@code parent}: the weights are accounted in {@code parent}'s
     * allocator, closing the checkpoint releases them, and closing {@code parent} closes the checkpoint's arena.
     */
    public static BertCheckpoint load(Path dir, TensorArena parent) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(parent, "parent");
        return loadClosingOnFailure(dir, parent.child("hf " + dir));
    }

    private static BertCheckpoint loadClosingOnFailure(Path dir, TensorArena arena) throws IOException {
        try {
            return loadInto(dir, arena);
        } catch (IOException | RuntimeException | Error e) {
            try {
                arena.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static BertCheckpoint loadInto(Path dir, TensorArena arena) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no Hugging Face model directory here");
        }
        Path config = requireFile(dir.resolve(CONFIG_FILE), "the model's hyper-parameters");
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            if (Files.exists(dir.resolve(WEIGHTS_FILE + ".index.json"))) {
                throw new HfFormatException(dir.resolve(WEIGHTS_FILE + ".index.json"),
                        "sharded safetensors checkpoints are not supported; BERT-sized models fit one " + WEIGHTS_FILE);
            }
            String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                    ? "only pytorch_model.bin is here; Graft reads safetensors only (save_pretrained(safe_serialization=True) writes it)"
                    : "the weights";
            throw new NoSuchFileException(weights.toString(), null, "missing: " + hint);
        }
        Path tokenizer = requireFile(dir.resolve(TOKENIZER_FILE), "the tokenizer that goes with the weights");

        BertConfig cfg = HfBertConfigJson.read(config);
        SafetensorsFile file = Safetensors.open(weights, arena);
        BertWeights w = new TensorReader(file, cfg).weights();
        return new BertCheckpoint(dir.toString(), weights, tokenizer, w, arena);
    }

    private static Path requireFile(Path file, String what) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing: " + what);
        }
        return file;
    }

    /** Finds the encoder's tensors in one safetensors file, with or without the {@code bert.} prefix. */
    private static final class TensorReader {
        private final SafetensorsFile file;
        private final BertConfig config;
        private final String prefix;
        /** Every tensor handed to the weights, by its name in the file: checked to be finite once shapes are. */
        private final Map<String, Tensor> used = new LinkedHashMap<>();

        TensorReader(SafetensorsFile file, BertConfig config) throws HfFormatException {
            this.file = file;
            this.config = config;
            String probe = "embeddings.word_embeddings.weight";
            boolean bare = file.contains(probe);
            boolean prefixed = file.contains(PREFIX + probe);
            if (bare && prefixed) {
                throw new HfFormatException(file.path(), "holds both '" + probe + "' and '" + PREFIX + probe
                        + "'; cannot tell which encoder to load");
            }
            if (!bare && !prefixed) {
                throw new HfFormatException(file.path(), "missing tensor '" + probe + "' (nor '" + PREFIX + probe
                        + "'): not a BERT checkpoint?");
            }
            this.prefix = prefixed ? PREFIX : "";
        }

        BertWeights weights() throws IOException {
            checkNoExtraLayers();
            try {
                List<BertLayerWeights> layers = new ArrayList<>();
                for (int i = 0; i < config.numLayers(); i++) {
                    String l = "encoder.layer." + i + ".";
                    layers.add(new BertLayerWeights(
                            linear(l + "attention.self.query"),
                            linear(l + "attention.self.key"),
                            linear(l + "attention.self.value"),
                            linear(l + "attention.output.dense"),
                            norm(l + "attention.output.LayerNorm"),
                            linear(l + "intermediate.dense"),
                            linear(l + "output.dense"),
                            norm(l + "output.LayerNorm")));
                }
                BertWeights weights = new BertWeights(config,
                        f32("embeddings.word_embeddings.weight"),
                        f32("embeddings.position_embeddings.weight"),
                        f32("embeddings.token_type_embeddings.weight"),
                        norm("embeddings.LayerNorm"),
                        layers);
                // shapes first (header only), then one pass over the bytes of every tensor the encoder uses
                for (Map.Entry<String, Tensor> e : used.entrySet()) {
                    NonFiniteWeightException.requireFinite(file.path(), e.getKey(), e.getValue());
                }
                return weights;
            } catch (IllegalArgumentException e) {
                throw new HfFormatException(file.path(), e.getMessage()
                        + (prefix.isEmpty() ? "" : " (tensor names carry the '" + PREFIX + "' prefix in this file)"), e);
            } catch (BadTensor e) {
                throw new HfFormatException(file.path(), e.getMessage());
            }
        }

        /** A file with more layers than the config says is a config/weights mismatch, not something to ignore. */
        private void checkNoExtraLayers() throws HfFormatException {
            for (String name : file.names()) {
                if (!name.startsWith(prefix)) {
                    continue;
                }
                Matcher m = LAYER.matcher(name.substring(prefix.length()));
                if (m.lookingAt()) {
                    long layer = Long.parseLong(m.group(1));
                    if (layer >= config.numLayers()) {
                        throw new HfFormatException(file.path(), "tensor '" + name + "' belongs to layer " + layer
                                + " but config.json says num_hidden_layers = " + config.numLayers());
                    }
                }
            }
        }

        private Linear linear(String name) throws BadTensor {
            return new Linear(name, f32(name + ".weight"), true, f32(name + ".bias"));
        }

        private LayerNormWeights norm(String name) throws BadTensor {
            boolean old = !file.contains(prefix + name + ".weight") && file.contains(prefix + name + ".gamma");
            return old
                    ? new LayerNormWeights(name, f32(name + ".gamma"), f32(name + ".beta"))
                    : new LayerNormWeights(name, f32(name + ".weight"), f32(name + ".bias"));
        }

        private Tensor f32(String name) throws BadTensor {
            String full = prefix + name;
            if (!file.contains(full)) {
                throw new BadTensor("missing tensor '" + full + "' (config.json: " + config.numLayers()
                        + " layers, hidden_size " + config.hiddenSize() + ")");
            }
            String dtype = file.info(full).dtype();
            if (!dtype.equals("F32") && !dtype.equals("F16") && !dtype.equals("BF16")) {
                throw new BadTensor("tensor '" + full + "' is " + dtype + " but weights must be F32, F16 or BF16");
            }
            Tensor t = file.tensor(full); // F16/BF16 come back as f32 copies
            used.put(full, t);
            return t;
        }
    }

    /** A tensor the encoder needs is not in the file, or of a dtype it cannot use. */
    private static final class BadTensor extends Exception {
        private static final long serialVersionUID = 1L;

        BadTensor(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Writes {@code source} as a Hugging Face {@code BertModel} directory at {@code dir}: {@code config.json},
     * {@code model.safetensors} (HF names without prefix, {@code [out, in]} Linear weights, f32) and a copy of the
     * source's tokenizer file as {@code tokenizer.json}. Atomic: {@code dir} either appears complete or not at all.
     *
     * @throws FileAlreadyExistsException when {@code dir} exists and is not an empty directory
     * @throws NoSuchFileException        when the source's tokenizer file is missing (nothing is written)
     */
    public static void write(BertCheckpoint source, Path dir) throws IOException {
        Objects.requireNonNull(source, "source");
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("cannot write a model directory at the file system root: " + dir);
        }
        Path tokenizer = source.tokenizerFile();
        if (!Files.isRegularFile(tokenizer)) {
            throw new NoSuchFileException(tokenizer.toString(), null,
                    "the tokenizer file of checkpoint '" + source.name() + "' is missing; nothing was written");
        }
        Map<String, TensorSource> tensors = tensors(source.weights());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("graft.source", source.name());
        SavedDirectory.write(target, SAVED_KIND, SavedDirectory.Existing.REFUSE, tmp -> {
            HfBertConfigJson.write(source.config(), tmp.resolve(CONFIG_FILE));
            Safetensors.writeLazily(tmp.resolve(WEIGHTS_FILE), tensors, metadata);
            Files.copy(tokenizer, tmp.resolve(TOKENIZER_FILE));
        });
    }

    /** The tensors of a {@code BertModel} state dict, in its order, with HF names and {@code [out, in]} weights. */
    static Map<String, TensorSource> tensors(BertWeights w) {
        Map<String, TensorSource> out = new LinkedHashMap<>();
        out.put("embeddings.word_embeddings.weight", TensorSource.of(w.wordEmbeddings()));
        out.put("embeddings.position_embeddings.weight", TensorSource.of(w.positionEmbeddings()));
        out.put("embeddings.token_type_embeddings.weight", TensorSource.of(w.tokenTypeEmbeddings()));
        putNorm(out, "embeddings.LayerNorm", w.embeddingNorm());
        for (int i = 0; i < w.layers().size(); i++) {
            BertLayerWeights l = w.layers().get(i);
            String p = "encoder.layer." + i + ".";
            putLinear(out, p + "attention.self.query", l.query());
            putLinear(out, p + "attention.self.key", l.key());
            putLinear(out, p + "attention.self.value", l.value());
            putLinear(out, p + "attention.output.dense", l.attentionOutput());
            putNorm(out, p + "attention.output.LayerNorm", l.attentionNorm());
            putLinear(out, p + "intermediate.dense", l.intermediate());
            putLinear(out, p + "output.dense", l.output());
            putNorm(out, p + "output.LayerNorm", l.outputNorm());
        }
        return out;
    }

    private static void putNorm(Map<String, TensorSource> out, String name, LayerNormWeights n) {
        out.put(name + ".weight", TensorSource.of(n.gamma()));
        out.put(name + ".bias", TensorSource.of(n.beta()));
    }

    private static void putLinear(Map<String, TensorSource> out, String name, Linear l) {
        Tensor w = l.weight();
        out.put(name + ".weight", l.outIn()
                ? TensorSource.of(w)
                : new TensorSource(DType.F32, new long[] {l.out(), l.in()}, scratch -> transpose(w, scratch)));
        out.put(name + ".bias", TensorSource.of(l.bias()));
    }

    /** {@code [rows, cols]} f32 → a new {@code [cols, rows]} tensor in {@code arena}, tile by tile. */
    static Tensor transpose(Tensor w, TensorArena arena) {
        if (w.dtype() != DType.F32 || w.rank() != 2) {
            throw new IllegalArgumentException("can only transpose a 2-d f32 tensor, not " + w.describe());
        }
        int rows = w.dim(0);
        int cols = w.dim(1);
        Tensor t = arena.allocateUninitialized(DType.F32, cols, rows);
        MemorySegment src = w.segment();
        MemorySegment dst = t.segment();
        for (int i0 = 0; i0 < rows; i0 += TILE) {
            int i1 = Math.min(rows, i0 + TILE);
            for (int j0 = 0; j0 < cols; j0 += TILE) {
                int j1 = Math.min(cols, j0 + TILE);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) {
                        dst.setAtIndex(F32, (long) j * rows + i, src.getAtIndex(F32, (long) i * cols + j));
                    }
                }
            }
        }
        return t;
    }
}
