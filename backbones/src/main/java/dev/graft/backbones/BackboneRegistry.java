package dev.graft.backbones;

import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.kernels.Kernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The backbones of a process, opened once by name and shared: every composed model and head that names
 * {@code all-minilm-l6-v2} gets the same instance, so its weights are in memory once. Names are those of
 * {@link Backbones#load}: an embedded model or a Hugging Face directory. All backbones run on the registry's
 * kernels. Thread-safe; {@link #close()} closes every backbone it opened.
 */
public final class BackboneRegistry implements AutoCloseable {
    private final Kernels kernels;
    private final int maxLength;
    private final Map<String, BertBackbone> open = new LinkedHashMap<>();
    private boolean closed;

    /**
     * @param kernels   the kernels every backbone runs on (the caller owns them)
     * @param maxLength token limit per input (truncation beyond it), or 0 for each model's own limit
     */
    public BackboneRegistry(Kernels kernels, int maxLength) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be ≥ 0 (0: the model's limit), got " + maxLength);
        }
        this.maxLength = maxLength;
    }

    /** The backbone called {@code nameOrDirectory}, opened on first use. */
    public synchronized BertBackbone get(String nameOrDirectory) {
        if (closed) {
            throw new IllegalStateException("the backbone registry is closed");
        }
        BertBackbone b = open.get(nameOrDirectory);
        if (b == null) {
            try {
                BertBackbone.Builder builder = Backbones.builder(nameOrDirectory).optKernels(kernels);
                if (maxLength > 0) {
                    builder.optMaxLength(maxLength);
                }
                b = builder.build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open backbone '" + nameOrDirectory + "': " + e.getMessage(), e);
            }
            open.put(nameOrDirectory, b);
        }
        return b;
    }

    /** Names opened so far. */
    public synchronized Set<String> opened() {
        return Set.copyOf(open.keySet());
    }

    public Kernels kernels() {
        return kernels;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (BertBackbone b : open.values()) {
            try {
                b.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        open.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
