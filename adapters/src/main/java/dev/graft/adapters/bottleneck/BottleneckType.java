package dev.graft.adapters.bottleneck;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.AdapterType;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.kernels.Activation;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Reads Graft's {@code GRAFT_BOTTLENECK} configs (see the package description for the format). */
public final class BottleneckType implements AdapterType {

    @Override
    public String name() {
        return "bottleneck";
    }

    @Override
    public String peftType() {
        return "GRAFT_BOTTLENECK";
    }

    @Override
    public Adapter fromPeftConfig(JsonNode config, List<SiteShape> sites, Path file) {
        BottleneckConfig.Placement placement = switch (text(config, "placement", file)) {
            case "houlsby" -> BottleneckConfig.Placement.HOULSBY;
            case "pfeiffer" -> BottleneckConfig.Placement.PFEIFFER;
            default -> throw new AdapterFormatException(file, "field 'placement' is '" + config.get("placement").asText()
                    + "'; expected houlsby or pfeiffer");
        };
        JsonNode rf = config.get("reduction_factor");
        if (rf == null || !rf.isIntegralNumber() || rf.asInt() < 1) {
            throw new AdapterFormatException(file, "field 'reduction_factor' must be an integer >= 1, found " + rf);
        }
        Activation act = switch (text(config, "non_linearity", file)) {
            case "relu" -> Activation.RELU;
            case "gelu" -> Activation.GELU;
            case "tanh" -> Activation.TANH;
            default -> throw new AdapterFormatException(file, "field 'non_linearity' is '"
                    + config.get("non_linearity").asText() + "'; expected relu, gelu or tanh");
        };
        JsonNode residual = config.get("residual");
        if (residual != null && !residual.isBoolean()) {
            throw new AdapterFormatException(file, "field 'residual' must be true or false, found " + residual);
        }
        BottleneckConfig c = new BottleneckConfig(placement, rf.asInt(), act, residual == null || residual.asBoolean());
        return new Bottleneck(c, sites.stream().filter(s -> placement.sites().contains(s.site().kind())).toList());
    }

    private static String text(JsonNode config, String field, Path file) {
        JsonNode n = config.get(field);
        if (n == null || !n.isTextual()) {
            throw new AdapterFormatException(file, "field '" + field + "' is missing or not a string");
        }
        return n.asText().toLowerCase(Locale.ROOT);
    }
}
