package dev.graft.adapters.lora;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.AdapterType;
import dev.graft.adapters.adapter.PeftTargets;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads PEFT's {@code LORA} configs: {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules}
 * (+ {@code layers_to_transform}), {@code use_rslora}. Rejects what Graft does not run (rather than loading something
 * else): {@code bias} other than "none", {@code use_dora}, {@code fan_in_fan_out}, non-empty {@code rank_pattern} /
 * {@code alpha_pattern}.
 */
public final class LoraType implements AdapterType {

    @Override
    public String name() {
        return "lora";
    }

    @Override
    public String peftType() {
        return "LORA";
    }

    @Override
    public Adapter fromPeftConfig(JsonNode config, List<SiteShape> sites, Path file) {
        int r = positiveInt(config, "r", file);
        float alpha = number(config, "lora_alpha", r, file);
        float dropout = number(config, "lora_dropout", 0, file);
        String bias = config.path("bias").asText("none");
        if (!"none".equals(bias)) {
            throw new AdapterFormatException(file, "field 'bias' is '" + bias + "'; Graft's LoRA trains no biases (\"none\")");
        }
        for (String flag : List.of("use_dora", "fan_in_fan_out")) {
            if (config.path(flag).asBoolean(false)) {
                throw new AdapterFormatException(file, "field '" + flag + "' is true; Graft's LoRA does not support it");
            }
        }
        for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
            JsonNode p = config.get(pattern);
            if (p != null && !p.isNull() && !p.isEmpty()) {
                throw new AdapterFormatException(file, "field '" + pattern + "' is not empty; Graft's LoRA uses one r and"
                        + " alpha for every module");
            }
        }
        Map<Site, SiteShape> projections = new LinkedHashMap<>();
        for (SiteShape s : sites) {
            if (s.site().kind().role() == SiteKind.Role.PROJECTION) {
                projections.put(s.site(), s);
            }
        }
        SortedSet<Site> selected = PeftTargets.select(config, projections.keySet(), Site::module, file);
        if (selected.isEmpty()) {
            throw new AdapterFormatException(file, "field 'target_modules' " + config.get("target_modules")
                    + " selects no projection of this encoder (its modules are named like "
                    + projections.keySet().iterator().next().module() + ")");
        }
        Set<SiteKind> kinds = EnumSet.noneOf(SiteKind.class);
        Set<Integer> layers = new TreeSet<>();
        List<SiteShape> chosen = new ArrayList<>();
        for (Site s : selected) {
            kinds.add(s.kind());
            layers.add(s.layer());
            chosen.add(projections.get(s));
        }
        int allLayers = projections.keySet().stream().mapToInt(Site::layer).max().orElse(0) + 1;
        LoraConfig c;
        try {
            c = new LoraConfig(r, alpha, dropout, kinds, layers.size() == allLayers ? null : List.copyOf(layers),
                    config.path("use_rslora").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new AdapterFormatException(file, e.getMessage(), e);
        }
        return new Lora(c, chosen);
    }

    /** A LoRA tensor whose rank dimension disagrees with {@code r} is named as such. */
    @Override
    public String shapeMismatch(Adapter adapter, String tensor, long[] expected, long[] actual) {
        int r = ((Lora) adapter).config().r();
        boolean isA = tensor.endsWith(".lora_A.weight");
        if (actual.length == 2) {
            long rank = isA ? actual[0] : actual[1];
            long other = isA ? actual[1] : actual[0];
            long expectedOther = isA ? expected[1] : expected[0];
            if (rank != r && other == expectedOther) {
                return "tensor '" + tensor + "' " + Arrays.toString(actual) + " has rank " + rank + " but adapter_config.json"
                        + " says r = " + r + " (expected " + Arrays.toString(expected) + ")";
            }
        }
        return AdapterType.super.shapeMismatch(adapter, tensor, expected, actual);
    }

    private static int positiveInt(JsonNode config, String field, Path file) {
        JsonNode n = config.get(field);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
            throw new AdapterFormatException(file, "field '" + field + "' must be a positive integer, found " + n);
        }
        return n.asInt();
    }

    private static float number(JsonNode config, String field, float fallback, Path file) {
        JsonNode n = config.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new AdapterFormatException(file, "field '" + field + "' must be a number, found " + n);
        }
        float f = n.floatValue();
        if (!Float.isFinite(f)) { // 1e39 and beyond become ±Inf as a float
            throw new AdapterFormatException(file, "field '" + field + "' is " + n + ", beyond the range of a float32");
        }
        return f;
    }
}
