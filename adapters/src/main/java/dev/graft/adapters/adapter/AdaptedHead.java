package dev.graft.adapters.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadFormatException;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadRegistry;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.head.SavedDirectory;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A task head and the adapter it was trained with inside the frozen backbone: what one adapted task needs at
 * inference. Saved together in ONE directory —
 *
 * <pre>
 * intent/
 *   head_config.json            the head ({@link HeadIO}), with an "adapter" record: type, peft_type, describe,
 *                               trainable_parameters, files
 *   head.safetensors
 *   adapter_config.json         the adapter in Hugging Face PEFT's layout ({@link PeftIO})
 *   adapter_model.safetensors
 * </pre>
 *
 * PEFT's {@code PeftModel.from_pretrained} loads the directory and ignores the head's files; Graft loads both.
 * Saving is atomic (one hidden sibling renamed into place, see {@link SavedDirectory}); loading checks the head
 * against the backbone's weights hash, the adapter against the backbone's sites and the base model the head names,
 * and that an adapter {@code head_config.json} records is really there. A directory with no adapter files loads as a
 * plain head.
 *
 * @param head    the head
 * @param adapter the adapter the head reads the backbone through
 */
public record AdaptedHead(Head head, Adapter adapter) {

    public AdaptedHead {
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(adapter, "adapter");
    }

    /**
     * Saves the pair into {@code dir}, atomically: a new or empty directory, or one holding a previous head save, of
     * which only Graft's files are replaced (other files in it stay; see {@link SavedDirectory}).
     */
    public void save(Path dir) throws IOException {
        save(head, adapter, dir, null, null);
    }

    /**
     * Saves {@code head} and {@code adapter} into one directory, atomically; the adapter's
     * {@code base_model_name_or_path} is the backbone the head records.
     *
     * @param adapter  the adapter, or null to save the head alone (as {@link HeadIO#save(Head, Path, JsonNode,
     *                 SavedDirectory.Content)} does)
     * @param training free-form record of how the pair was trained, or null
     * @param extras   writes more files into the directory before it is moved into place, or null
     */
    public static void save(Head head, Adapter adapter, Path dir, JsonNode training, SavedDirectory.Content extras)
            throws IOException {
        if (adapter == null) {
            HeadIO.save(head, dir, training, extras);
            return;
        }
        String baseModel = head.backbone().name();
        HeadIO.save(head, dir, training, record(adapter), tmp -> {
            PeftIO.writeInto(adapter, baseModel, tmp);
            if (extras != null) {
                extras.writeInto(tmp);
            }
        });
    }

    /**
     * What {@code head_config.json} and a composed model's provenance say about an adapter:
     * {@code {"type", "peft_type", "describe", "trainable_parameters", "files"}}.
     */
    public static ObjectNode record(Adapter adapter) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("type", adapter.typeName());
        n.put("peft_type", adapter.peftType());
        n.put("describe", adapter.describe());
        n.put("trainable_parameters", adapter.parameterCount());
        n.putArray("files").add(PeftIO.CONFIG_FILE).add(PeftIO.WEIGHTS_FILE);
        return n;
    }

    /**
     * A head loaded from its directory, with the adapter saved beside it if there was one.
     *
     * @param adapter  the adapter, or null for a head saved alone
     * @param training the training record saved with the head (empty object when there was none)
     */
    public record Loaded(Head head, Adapter adapter, JsonNode training) {

        public boolean hasAdapter() {
            return adapter != null;
        }

        /** "head DIR" or "head DIR with adapter lora r=8 …", for messages. */
        public String describe(Path dir) {
            return "head " + dir + (adapter == null ? "" : " with adapter " + adapter.describe());
        }
    }

    /**
     * Loads the head saved in {@code dir} and, when its adapter files are there, the adapter, both checked against
     * {@code backbone}.
     *
     * @throws dev.graft.adapters.head.HeadMismatchException when the head was trained on other backbone weights
     * @throws HeadFormatException    a broken head file, naming it
     * @throws AdapterFormatException a broken or missing adapter file, naming it and the field or tensor
     */
    public static Loaded load(Path dir, HeadRegistry heads, AdapterRegistry adapters, BertBackbone backbone)
            throws IOException {
        HeadIO.Loaded head = HeadIO.load(dir, heads, BackboneInfo.of(backbone));
        return new Loaded(head.head(), loadAdapter(dir, head, adapters, backbone), head.training());
    }

    /**
     * The adapter saved beside a head already loaded from {@code dir} (and checked against {@code backbone}), or
     * null when the head was saved alone.
     *
     * @throws AdapterFormatException when {@code head_config.json} records an adapter whose files are missing, or the
     *                                files do not fit (another base model, a missing tensor, …), naming the file
     * @throws AdapterShapeException  when the adapter does not fit the backbone's sites
     */
    public static Adapter loadAdapter(Path dir, HeadIO.Loaded head, AdapterRegistry adapters, BertBackbone backbone)
            throws IOException {
        Path headConfig = dir.resolve(HeadIO.CONFIG_FILE);
        if (!PeftIO.isSaved(dir)) {
            if (head.hasAdapter()) {
                throw new AdapterFormatException(dir.resolve(PeftIO.CONFIG_FILE), "missing: " + headConfig + " records an"
                        + " adapter saved beside the head (" + head.adapter().path("describe").asText("?")
                        + "); without it the head would read features it was not trained on");
            }
            return null;
        }
        // the head's backbone was checked by weights hash; its adapter must be for the same model
        Adapter adapter = PeftIO.load(dir, adapters, backbone.encoder().sites(), head.head().backbone().name());
        Adapters.checkFits(backbone.encoder().sites(), adapter);
        if (head.hasAdapter()) {
            JsonNode rec = head.adapter();
            String type = rec.path("type").asText(adapter.typeName());
            long count = rec.path("trainable_parameters").asLong(adapter.parameterCount());
            if (!type.equals(adapter.typeName()) || count != adapter.parameterCount()) {
                throw new HeadFormatException(headConfig, "field '" + HeadIO.ADAPTER_FIELD + "' records a " + type
                        + " adapter of " + count + " parameters, but " + PeftIO.CONFIG_FILE + " beside it holds "
                        + adapter.describe() + " (" + adapter.parameterCount() + " parameters): the files do not belong together");
            }
        }
        return adapter;
    }
}
