package dev.graft.adapters.adapter;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteHook;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.tensor.TensorArena;
import java.util.List;
import java.util.Map;

/**
 * A small trainable module that changes what a frozen backbone computes at some of its typed sites, without touching
 * the backbone's weights. Its parameters are {@link Parameter}s named as PEFT names them in
 * {@code adapter_model.safetensors} (next session's trainer trains them in place).
 *
 * <p>Lifecycle: built by its type (fresh, or from a PEFT config before its tensors are read) → attached with
 * {@link Adapters#attach}, which checks {@link #sites()} against the encoder's and takes an immutable snapshot of
 * the parameters as {@link #hooks} → the snapshot serves forward passes, any number at once, until closed.
 */
public interface Adapter {

    /** Graft's name of the type ("lora", "bottleneck", "ia3"). */
    String typeName();

    /** PEFT's {@code peft_type} ("LORA", "IA3"; "GRAFT_BOTTLENECK" for Graft's own bottleneck format). */
    String peftType();

    /** The parameters, names unique, PEFT layout. */
    List<Parameter> parameters();

    /** The sites this adapter attaches to and the dimensions it needs there. */
    List<SiteShape> sites();

    /**
     * Hooks over a copy of the current parameter values, in {@code arena}; later changes to the parameters do not
     * reach them (immutable, thread-safe).
     */
    Map<Site, SiteHook> hooks(TensorArena arena);

    /**
     * Hooks for one training step over the parameters' current values: their {@code backward} methods accumulate
     * gradients that {@link TrainingHooks#flushGradients()} adds into the parameters ({@code seed} drives the
     * type's own dropout, if any). Allocated in {@code arena}, which the step closes.
     */
    TrainingHooks trainingHooks(TensorArena arena, long seed);

    /** Whether {@link #mergedHooks} is supported. */
    default boolean mergeable() {
        return false;
    }

    /**
     * Hooks that fold the adapter into copies of the affected frozen weights (in {@code arena}); {@code frozen} is
     * only read.
     *
     * @throws UnsupportedOperationException when the type cannot be merged (a bottleneck is not linear)
     */
    default Map<Site, SiteHook> mergedHooks(BertWeights frozen, TensorArena arena) {
        throw new UnsupportedOperationException(typeName() + " adapters cannot be merged into the backbone's weights");
    }

    /**
     * The type's fields of {@code adapter_config.json} ({@code peft_type}, {@code r}, {@code target_modules}, …)
     * without {@code base_model_name_or_path}, which the file writer adds.
     */
    ObjectNode peftConfig();

    /** Short description of the config for messages ("lora r=8 alpha=16 on query, value"). */
    String describe();

    default long parameterCount() {
        return parameters().stream().mapToLong(Parameter::size).sum();
    }
}
