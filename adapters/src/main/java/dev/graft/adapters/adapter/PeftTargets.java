package dev.graft.adapters.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.graft.backbones.sites.Site;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's {@code target_modules} (+ {@code layers_to_transform}) ↔ a set of sites. PEFT matches a module name
 * ({@code encoder.layer.0.attention.self.query}) against a list entry when it equals it or ends with
 * {@code "." + entry}, and against a string as a regular expression that must match the whole name. Graft writes a
 * list of names when that list selects exactly its sites, and a regular expression otherwise (e.g. {@code output.dense}
 * alone would also select {@code attention.output.dense}).
 */
public final class PeftTargets {
    private PeftTargets() {
    }

    /**
     * The candidate sites whose module {@code target_modules} selects.
     *
     * @param moduleOf the module name PEFT sees for a site ({@code encoder.layer.N.…})
     */
    public static SortedSet<Site> select(JsonNode config, Collection<Site> candidates, Function<Site, String> moduleOf,
                                         Path file) {
        JsonNode targets = config.get("target_modules");
        Set<Integer> layers = layers(config.get("layers_to_transform"), file);
        if (layers != null && !candidates.isEmpty()) {
            int first = candidates.stream().mapToInt(Site::layer).min().orElseThrow();
            int last = candidates.stream().mapToInt(Site::layer).max().orElseThrow();
            for (int layer : layers) {
                if (layer < first || layer > last) {
                    throw new AdapterFormatException(file, "field 'layers_to_transform' holds layer " + layer
                            + ", outside this backbone's layers " + first + " to " + last + " (found " + config.get("layers_to_transform") + ")");
                }
            }
        }
        SortedSet<Site> selected = new TreeSet<>();
        if (targets != null && targets.isTextual()) {
            Pattern p;
            try {
                p = Pattern.compile(targets.asText());
            } catch (PatternSyntaxException e) {
                throw new AdapterFormatException(file, "field 'target_modules' is not a valid regular expression: "
                        + e.getDescription());
            }
            for (Site s : candidates) {
                if (p.matcher(moduleOf.apply(s)).matches() && (layers == null || layers.contains(s.layer()))) {
                    selected.add(s);
                }
            }
        } else if (targets != null && targets.isArray() && !targets.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (JsonNode t : targets) {
                if (!t.isTextual()) {
                    throw new AdapterFormatException(file, "field 'target_modules' must hold module names, found " + t);
                }
                names.add(t.asText());
            }
            for (Site s : candidates) {
                String m = moduleOf.apply(s);
                boolean hit = names.stream().anyMatch(n -> m.equals(n) || m.endsWith("." + n));
                if (hit && (layers == null || layers.contains(s.layer()))) {
                    selected.add(s);
                }
            }
        } else {
            throw new AdapterFormatException(file, "field 'target_modules' is missing or empty (expected a list of module"
                    + " names or a regular expression)");
        }
        return selected;
    }

    /**
     * What to write as {@code target_modules} for exactly {@code sites} out of {@code all} candidates: a list of
     * module-name suffixes when it selects exactly those sites, else a regular expression over the module names.
     */
    public static JsonNode write(Collection<Site> sites, Collection<Site> all, Function<Site, String> moduleOf,
                                 Function<Site, String> suffixOf) {
        Set<String> suffixes = new LinkedHashSet<>();
        for (Site s : sites) {
            suffixes.add(suffixOf.apply(s));
        }
        // a name another one already matches ("attention.output.dense" with "output.dense") is left out
        suffixes.removeIf(x -> suffixes.stream().anyMatch(y -> !y.equals(x) && x.endsWith("." + y)));
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        suffixes.forEach(list::add);
        JsonNode asList = JsonNodeFactory.instance.objectNode().set("target_modules", list);
        if (select(asList, all, moduleOf, Path.of("-")).equals(new TreeSet<>(sites))) {
            return list;
        }
        Set<String> modules = new LinkedHashSet<>();
        Set<Integer> layers = new TreeSet<>();
        for (Site s : sites) {
            String m = moduleOf.apply(s);
            modules.add(m.substring(m.indexOf('.', "encoder.layer.".length()) + 1));
            layers.add(s.layer());
        }
        String regex = "(.*\\.)?encoder\\.layer\\.(" + String.join("|", layers.stream().map(String::valueOf).toList())
                + ")\\.(" + String.join("|", modules.stream().map(m -> m.replace(".", "\\.")).toList()) + ")";
        return TextNode.valueOf(regex);
    }

    private static Set<Integer> layers(JsonNode n, Path file) {
        if (n == null || n.isNull()) {
            return null;
        }
        Set<Integer> s = new TreeSet<>();
        if (n.isInt()) {
            s.add(n.asInt());
            return s;
        }
        if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isInt()) {
                    throw new AdapterFormatException(file, "field 'layers_to_transform' must hold layer numbers, found " + e);
                }
                s.add(e.asInt());
            }
            return s;
        }
        throw new AdapterFormatException(file, "field 'layers_to_transform' must be a layer number or a list, found " + n);
    }
}
