package dev.graft.adapters.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.Json;
import dev.graft.core.Graft;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a composed model came from: the backbone (name and weights hash), every head's type, config and size,
 * and the Graft version, JDK and platform that built it. Printable, and saved as {@code model.json}.
 *
 * @param backbone     the shared backbone
 * @param heads        head name → {@code {type, config, parameters}}, plus {@code adapter: {type, peft_type, describe,
 *                     trainable_parameters, files, merged, name, sha256}} for a head (name: the first head that
 *                     reads the adapter; sha256: of its parameters' names, shapes and values) that reads the backbone through an adapter
 * @param graftVersion Graft's version
 * @param jdk          the JDK that composed the model
 * @param platform     operating system, architecture, processors
 * @param kernels      the kernel implementation the backbone runs on
 */
public record Provenance(BackboneInfo backbone, Map<String, JsonNode> heads, String graftVersion, String jdk,
                         String platform, String kernels) {

    public Provenance {
        heads = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(heads));
    }

    /** @param adapters head name → the record of its adapter (heads without one are absent) */
    static Provenance of(BackboneInfo backbone, Map<String, Head> heads, Map<String, ObjectNode> adapters, String kernels) {
        Map<String, JsonNode> described = new LinkedHashMap<>();
        heads.forEach((name, head) -> {
            ObjectNode n = Json.mapper().createObjectNode();
            n.put("type", head.type());
            n.set("config", Json.mapper().valueToTree(head.config()));
            n.put("parameters", head.parameterCount());
            if (adapters.containsKey(name)) {
                n.set("adapter", adapters.get(name));
            }
            described.put(name, n);
        });
        return new Provenance(backbone, described, Graft.version(), Graft.jdk(), Graft.platform(), kernels);
    }

    /** As a JSON object (the form saved with the model). */
    public ObjectNode toJson() {
        return Json.mapper().valueToTree(this);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("Graft ").append(graftVersion).append(" on ").append(jdk).append(", ").append(platform)
                .append(", ").append(kernels).append('\n');
        sb.append("backbone ").append(backbone.name()).append(" sha256 ").append(backbone.sha256())
                .append(" (hidden ").append(backbone.hiddenSize()).append(", ").append(backbone.numLayers()).append(" layers)\n");
        heads.forEach((name, n) -> {
            sb.append("head ").append(name).append(": ").append(n.get("type").asText())
                    .append(", ").append(n.get("parameters").asLong()).append(" parameters, ").append(n.get("config"));
            JsonNode a = n.get("adapter");
            if (a != null) {
                sb.append("\n  with adapter ").append(a.path("describe").asText()).append(" (")
                        .append(a.path("type").asText()).append(", ").append(a.path("trainable_parameters").asLong())
                        .append(" parameters").append(a.path("merged").asBoolean() ? ", merged into weight copies" : "")
                        .append(')')
                        .append(a.has("name") ? " named '" + a.path("name").asText() + "'" : "")
                        .append(a.has("sha256") ? " sha256 " + a.path("sha256").asText() : "");
            }
            sb.append('\n');
        });
        return sb.toString().stripTrailing();
    }
}
