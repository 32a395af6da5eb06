package dev.graft.backbones.sites;

import java.util.Objects;

/**
 * A site with its dimensions, as the backbone declares it. For a {@link SiteKind.Role#PROJECTION} site,
 * {@code in → out} are the projection's; for {@link SiteKind.Role#RESIDUAL} and {@link SiteKind.Role#SCALE} sites
 * {@code in == out} is the width of the activation.
 */
public record SiteShape(Site site, int in, int out) {
    public SiteShape {
        Objects.requireNonNull(site, "site");
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException(site + ": dimensions must be positive, got " + in + " → " + out);
        }
        if (site.kind().role() != SiteKind.Role.PROJECTION && in != out) {
            throw new IllegalArgumentException(site + " is a " + site.kind().role() + " site: in and out are one width, got "
                    + in + " and " + out);
        }
    }

    /** "384 → 1536" for projections, "width 384" otherwise. */
    public String describe() {
        return site.kind().role() == SiteKind.Role.PROJECTION ? in + " → " + out : "width " + in;
    }
}
