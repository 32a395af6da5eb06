package dev.graft.adapters.testing;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.testing.ModelResources;
import dev.graft.core.kernels.Kernels;
import java.io.IOException;
import java.nio.file.Path;

/** The real default backbone (all-MiniLM-L6-v2 from its Maven artifact) and the shared data sets, for tests. */
public final class MiniLm {
    public static final String NAME = "all-minilm-l6-v2";

    private MiniLm() {
    }

    /** A backbone on 2 threads with its own kernels; the caller closes it. */
    public static BertBackbone open() throws IOException {
        return Backbones.builder(NAME).optThreads(2).optMaxLength(128).build();
    }

    /** A backbone on the given kernels (not closed by the backbone); the caller closes it. */
    public static BertBackbone open(Kernels kernels) throws IOException {
        return Backbones.builder(NAME).optKernels(kernels).optMaxLength(128).build();
    }

    public static Path dataset(String relative) {
        return ModelResources.shared("datasets/" + relative);
    }
}
