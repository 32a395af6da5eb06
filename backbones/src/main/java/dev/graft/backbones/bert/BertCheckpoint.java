package dev.graft.backbones.bert;

import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A loaded pre-trained BERT model: its weights (memory-mapped, read-only, owned by {@link #arena()}), the
 * tokenizer file that goes with them, and where they came from. Closing it unmaps the weights.
 */
public final class BertCheckpoint implements AutoCloseable {
    private final String name;
    private final Path weightsFile;
    private final Path tokenizerFile;
    private final BertWeights weights;
    private final TensorArena arena;
    private volatile String sha256;

    /**
     * @param name          the model's name ("all-minilm-l6-v2", or a directory path)
     * @param weightsFile   the file the weights are mapped from (an .onnx or model.safetensors)
     * @param tokenizerFile the Hugging Face {@code tokenizer.json}
     * @param weights       views into {@code arena}
     * @param arena         owns the mapping; closed with this checkpoint
     */
    public BertCheckpoint(String name, Path weightsFile, Path tokenizerFile, BertWeights weights, TensorArena arena) {
        this.name = Objects.requireNonNull(name);
        this.weightsFile = Objects.requireNonNull(weightsFile);
        this.tokenizerFile = Objects.requireNonNull(tokenizerFile);
        this.weights = Objects.requireNonNull(weights);
        this.arena = Objects.requireNonNull(arena);
    }

    public String name() {
        return name;
    }

    public BertConfig config() {
        return weights.config();
    }

    public BertWeights weights() {
        return weights;
    }

    public Path weightsFile() {
        return weightsFile;
    }

    public Path tokenizerFile() {
        return tokenizerFile;
    }

    public TensorArena arena() {
        return arena;
    }

    /** SHA-256 of the weights file, hex; computed on first call. For provenance. */
    public String sha256() {
        String h = sha256;
        if (h == null) {
            try (InputStream in = Files.newInputStream(weightsFile)) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 20];
                for (int r; (r = in.read(buf)) > 0; ) {
                    md.update(buf, 0, r);
                }
                h = HexFormat.of().formatHex(md.digest());
                sha256 = h;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot hash " + weightsFile, e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return h;
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        BertConfig c = config();
        return "BertCheckpoint(" + name + ": " + c.numLayers() + " layers, hidden " + c.hiddenSize() + ", "
                + c.numHeads() + " heads, from " + weightsFile + ")";
    }
}
