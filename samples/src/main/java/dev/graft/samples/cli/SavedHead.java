package dev.graft.samples.cli;

import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadIO;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A saved head opened for use: the backbone it records (same name, same token limit, checked by weights hash)
 * and a one-head composed model. {@code eval} and {@code predict} need no {@code --model} because of this.
 */
record SavedHead(Path dir, Head head, BertBackbone backbone, ComposedModel model) implements AutoCloseable {
    static final String NAME = "head";

    static SavedHead open(Path dir, int threads) throws IOException {
        HeadIO.Loaded loaded = HeadIO.load(dir, HeadTypes.registry());
        Head head = loaded.head();
        BertBackbone.Builder b = Backbones.builder(head.backbone().name()).optThreads(threads);
        int maxLength = loaded.training().path("max_length").asInt(0);
        if (maxLength > 0) {
            b.optMaxLength(maxLength);
        }
        BertBackbone backbone = b.build();
        try {
            HeadIO.checkFits(dir.toString(), head, BackboneInfo.of(backbone));
            ComposedModel model = ComposedModel.builder().backbone(backbone).head(NAME, head).build();
            return new SavedHead(dir, head, backbone, model);
        } catch (RuntimeException e) {
            backbone.close();
            throw e;
        }
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
