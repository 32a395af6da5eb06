package dev.graft.adapters.ia3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.AdapterType;
import dev.graft.adapters.adapter.PeftTargets;
import dev.graft.adapters.head.Json;
import dev.graft.backbones.sites.Site;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads PEFT's {@code IA3} configs: {@code target_modules} and {@code feedforward_modules} (+
 * {@code layers_to_transform}). Graft runs (IA)³ where the paper puts it: output scaling of {@code key} and
 * {@code value}, input scaling of the feed-forward {@code output.dense} and of {@code attention.output.dense} (which
 * PEFT's default BERT config selects too); a config that selects any other module, or
 * these in the other mode, is rejected naming the module.
 */
public final class Ia3Type implements AdapterType {
    /** Modules a BERT layer has that Graft's (IA)³ does not scale, as sites whose module PEFT would see. */
    private static final List<SiteKind> FOREIGN = List.of(SiteKind.QUERY, SiteKind.INTERMEDIATE);

    @Override
    public String name() {
        return "ia3";
    }

    @Override
    public String peftType() {
        return "IA3";
    }

    @Override
    public Adapter fromPeftConfig(JsonNode config, List<SiteShape> sites, Path file) {
        Map<Site, SiteShape> scales = new TreeMap<>();
        List<Site> candidates = new ArrayList<>();
        for (SiteShape s : sites) {
            if (s.site().kind().role() == SiteKind.Role.SCALE || FOREIGN.contains(s.site().kind())) {
                candidates.add(s.site());
                if (s.site().kind().role() == SiteKind.Role.SCALE) {
                    scales.put(s.site(), s);
                }
            }
        }
        SortedSet<Site> selected = PeftTargets.select(config, candidates, Ia3::module, file);
        JsonNode ffField = config.get("feedforward_modules");
        Set<Site> feedforward = new TreeSet<>();
        if (ffField != null && !ffField.isNull() && !(ffField.isArray() && ffField.isEmpty())) {
            ObjectNode ff = Json.mapper().createObjectNode();
            ff.set("target_modules", ffField);
            if (config.has("layers_to_transform")) {
                ff.set("layers_to_transform", config.get("layers_to_transform"));
            }
            feedforward.addAll(PeftTargets.select(ff, candidates, Ia3::module, file));
        }
        if (selected.isEmpty()) {
            throw new AdapterFormatException(file, "field 'target_modules' " + config.get("target_modules")
                    + " selects no module of this encoder");
        }
        Set<SiteKind> kinds = EnumSet.noneOf(SiteKind.class);
        Set<Integer> layers = new TreeSet<>();
        List<SiteShape> chosen = new ArrayList<>();
        for (Site s : selected) {
            boolean ffWanted = Ia3.feedForward(s.kind());
            if (!scales.containsKey(s) || feedforward.contains(s) != ffWanted) {
                throw new AdapterFormatException(file, "module '" + Ia3.module(s) + "' is selected"
                        + (feedforward.contains(s) ? " as a feed-forward module (input scaling)" : " (output scaling)")
                        + "; Graft's (IA)³ scales the outputs of key and value and the inputs of output.dense and"
                        + " attention.output.dense only");
            }
            kinds.add(s.kind());
            layers.add(s.layer());
            chosen.add(scales.get(s));
        }
        int allLayers = candidates.stream().mapToInt(Site::layer).max().orElse(0) + 1;
        return new Ia3(new Ia3Config(kinds, layers.size() == allLayers ? null : List.copyOf(layers)), chosen);
    }
}
