package dev.graft.samples.cli;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadIO;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A saved head opened for use: the backbone it records (same name, same token limit, checked by weights hash),
 * the adapter saved beside it if there is one ({@link AdaptedHead}), and a one-head composed model.
 * {@code eval} and {@code predict} need no {@code --model} because of this.
 *
 * @param adapter the adapter the head reads the backbone through, or null
 */
record SavedHead(Path dir, Head head, Adapter adapter, BertBackbone backbone, ComposedModel model) implements AutoCloseable {
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
            Adapter adapter = AdaptedHead.loadAdapter(dir, loaded, AdapterTypes.registry(), backbone);
            ComposedModel model = ComposedModel.builder().backbone(backbone).head(NAME, head, adapter).build();
            return new SavedHead(dir, head, adapter, backbone, model);
        } catch (IOException | RuntimeException e) {
            backbone.close();
            throw e;
        }
    }

    /** "head DIR (classification)", plus " with adapter lora r=8 …" when an adapter was saved beside it. */
    String describe() {
        return "head " + dir + " (" + head.type() + ")" + (adapter == null ? "" : " with adapter " + adapter.describe());
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
