package dev.graft.adapters.bottleneck;

import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.kernels.Activation;
import java.util.List;
import java.util.Locale;

/**
 * Bottleneck adapter settings (AdapterHub's names in brackets).
 *
 * @param placement       where the adapters sit
 * @param reductionFactor hidden / bottleneck width ({@code reduction_factor}, 16 in AdapterHub's presets)
 * @param nonLinearity    between down and up ({@code non_linearity}): RELU (Pfeiffer's preset), GELU or TANH
 * @param residual        {@code h + f(h)} when true (the identity at initialisation); {@code f(h)} alone when false
 */
public record BottleneckConfig(Placement placement, int reductionFactor, Activation nonLinearity, boolean residual) {

    /** The placements of the two classic configurations. */
    public enum Placement {
        /** After the attention block and after the feed-forward block. */
        HOULSBY(List.of(SiteKind.AFTER_ATTENTION, SiteKind.AFTER_FFN)),
        /** After the feed-forward block only. */
        PFEIFFER(List.of(SiteKind.AFTER_FFN));

        private final List<SiteKind> sites;

        Placement(List<SiteKind> sites) {
            this.sites = sites;
        }

        public List<SiteKind> sites() {
            return sites;
        }

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public BottleneckConfig {
        if (placement == null || nonLinearity == null) {
            throw new IllegalArgumentException("placement and non_linearity are required");
        }
        if (reductionFactor < 1) {
            throw new IllegalArgumentException("reduction_factor must be >= 1, was " + reductionFactor);
        }
    }

    public static BottleneckConfig houlsby(int reductionFactor) {
        return new BottleneckConfig(Placement.HOULSBY, reductionFactor, Activation.RELU, true);
    }

    public static BottleneckConfig pfeiffer(int reductionFactor) {
        return new BottleneckConfig(Placement.PFEIFFER, reductionFactor, Activation.RELU, true);
    }

    /** The bottleneck width for a hidden width (at least 1). */
    public int bottleneck(int hidden) {
        return Math.max(1, hidden / reductionFactor);
    }
}
