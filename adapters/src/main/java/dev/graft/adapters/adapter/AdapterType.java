package dev.graft.adapters.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.backbones.sites.SiteShape;
import java.nio.file.Path;
import java.util.List;

/**
 * How an {@code adapter_config.json} of one {@code peft_type} becomes an adapter: one implementation per adapter
 * package, listed in {@code dev.graft.adapters.AdapterTypes}.
 */
public interface AdapterType {

    /** Graft's name ("lora"). */
    String name();

    /** The {@code peft_type} it reads ("LORA"). */
    String peftType();

    /**
     * An adapter with the structure {@code config} describes over the encoder's {@code sites}, parameters at their
     * initial values (the reader then fills them from the tensors file).
     *
     * @throws AdapterFormatException naming {@code configFile} and the field that is wrong
     */
    Adapter fromPeftConfig(JsonNode config, List<SiteShape> sites, Path configFile);

    /**
     * Why a tensor of shape {@code actual} does not fit a parameter expecting {@code expected}, in the config's terms
     * (LoRA names the rank); the default states both shapes.
     */
    default String shapeMismatch(Adapter adapter, String tensor, long[] expected, long[] actual) {
        return "tensor '" + tensor + "' is " + java.util.Arrays.toString(actual) + " but the config ("
                + adapter.describe() + ") needs " + java.util.Arrays.toString(expected);
    }
}
