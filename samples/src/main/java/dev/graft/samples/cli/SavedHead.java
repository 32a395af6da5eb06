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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A saved head opened for use: the backbone it records (same name, same token limit, checked by weights hash),
 * the adapter saved beside it if there is one ({@link AdaptedHead}), and a one-head composed model.
 * {@code eval} and {@code predict} need no {@code --model} because of this; with one (a model moved or a head
 * recorded elsewhere) the weights hash still has to match.
 *
 * @param adapter the adapter the head reads the backbone through, or null
 */
record SavedHead(Path dir, Head head, Adapter adapter, BertBackbone backbone, ComposedModel model) implements AutoCloseable {
    static final String NAME = "head";

    /** The head in {@code dir} on the backbone it records. */
    static SavedHead open(Path dir, int threads) throws IOException {
        return open(dir, threads, null);
    }

    /**
     * The head in {@code dir} on {@code backboneModel} (an embedded model's name or a model directory), or on the
     * backbone the head records when it is null. Either way the weights must hash to what the head was trained on.
     */
    static SavedHead open(Path dir, int threads, String backboneModel) throws IOException {
        HeadIO.Loaded loaded = HeadIO.load(dir, HeadTypes.registry());
        Head head = loaded.head();
        BertBackbone backbone = backbone(dir, loaded, threads, backboneModel, "--model");
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

    /**
     * The backbone a loaded head records (or {@code backboneModel}, named by {@code option} in messages), with the
     * token limit the head was trained under. Its weights are not checked here ({@link HeadIO#checkFits} does).
     */
    static BertBackbone backbone(Path dir, HeadIO.Loaded loaded, int threads, String backboneModel, String option)
            throws IOException {
        String name = backboneModel != null ? backboneModel : loaded.head().backbone().name();
        BertBackbone.Builder b;
        try {
            b = Backbones.builder(name).optThreads(threads);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, (backboneModel != null ? option + ": " : "the backbone head " + dir
                    + " was trained on: ") + e.getReason() + (backboneModel != null ? "" : "; pass " + option
                    + " NAME|DIR to say where it is"));
        }
        int maxLength = maxLength(loaded);
        if (maxLength > 0) {
            b.optMaxLength(maxLength);
        }
        return b.build();
    }

    /** The token limit a head was trained under, or 0 when its record does not say. */
    static int maxLength(HeadIO.Loaded loaded) {
        return loaded.training().path("max_length").asInt(0);
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
