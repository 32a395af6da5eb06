package dev.graft.backbones.sites;

import java.util.Objects;

/**
 * One place an adapter can attach: a layer (0 = bottom) and a site kind.
 *
 * @param layer transformer layer, 0-based
 * @param kind  where inside the layer
 */
public record Site(int layer, SiteKind kind) implements Comparable<Site> {
    public Site {
        Objects.requireNonNull(kind, "kind");
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0, was " + layer);
        }
    }

    /** The site's module as Hugging Face names it: {@code encoder.layer.3.attention.self.query}. */
    public String module() {
        return "encoder.layer." + layer + "." + kind.module();
    }

    @Override
    public int compareTo(Site o) {
        int c = Integer.compare(layer, o.layer);
        return c != 0 ? c : kind.compareTo(o.kind);
    }

    @Override
    public String toString() {
        return "layer " + layer + " " + kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
