package dev.graft.adapters.ia3;

import dev.graft.backbones.sites.SiteKind;
import java.util.List;
import java.util.Set;

/**
 * (IA)³ settings.
 *
 * @param targets any of {@link SiteKind#KEY_SCALE}, {@link SiteKind#VALUE_SCALE}, {@link SiteKind#INTERMEDIATE_SCALE},
 *                {@link SiteKind#CONTEXT_SCALE}
 * @param layers  layers to adapt, or null for all
 */
public record Ia3Config(Set<SiteKind> targets, List<Integer> layers) {
    public Ia3Config {
        targets = Set.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("(IA)³ needs at least one target");
        }
        for (SiteKind k : targets) {
            if (k.role() != SiteKind.Role.SCALE) {
                throw new IllegalArgumentException("(IA)³ scales activations; " + k + " is a " + k.role() + " site");
            }
        }
        layers = layers == null ? null : List.copyOf(layers);
    }

    /** Keys, values and the intermediate activation of every layer (the paper's placement). */
    public static Ia3Config standard() {
        return new Ia3Config(Set.of(SiteKind.KEY_SCALE, SiteKind.VALUE_SCALE, SiteKind.INTERMEDIATE_SCALE), null);
    }

    /**
     * What PEFT's default config for BERT adapts ({@code target_modules ["key", "value", "output.dense"]},
     * {@code feedforward_modules ["output.dense"]}): the paper's three plus the attention context, because
     * "output.dense" also matches {@code attention.output.dense}.
     */
    public static Ia3Config peftDefault() {
        return new Ia3Config(Set.of(SiteKind.KEY_SCALE, SiteKind.VALUE_SCALE, SiteKind.INTERMEDIATE_SCALE,
                SiteKind.CONTEXT_SCALE), null);
    }
}
