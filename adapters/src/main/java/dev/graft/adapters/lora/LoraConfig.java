package dev.graft.adapters.lora;

import dev.graft.backbones.sites.SiteKind;
import java.util.List;
import java.util.Set;

/**
 * LoRA hyper-parameters (PEFT's names in brackets).
 *
 * @param r       rank of the update ({@code r})
 * @param alpha   scaling numerator: the update is {@code (alpha / r)·B·A} ({@code lora_alpha})
 * @param dropout dropout on the adapter's input during training; inference ignores it ({@code lora_dropout})
 * @param targets projections to adapt, each a {@link SiteKind.Role#PROJECTION} kind ({@code target_modules})
 * @param layers  layers to adapt, or null for all ({@code layers_to_transform})
 * @param rslora  rank-stabilised scaling {@code alpha / √r} instead of {@code alpha / r} ({@code use_rslora})
 */
public record LoraConfig(int r, float alpha, float dropout, Set<SiteKind> targets, List<Integer> layers, boolean rslora) {
    /**
     * The largest {@link #scaling()} accepted. PEFT's usual settings give 0.5–2 ({@code lora_alpha} = r or 2r) and
     * published recipes stay below 64; a factor of 1000 already multiplies the update past anything trained, and a
     * {@code lora_alpha: 1e30} overflows the first projection to ±∞ and every output to NaN.
     */
    public static final float MAX_SCALING = 1000f;

    public LoraConfig {
        if (r <= 0) {
            throw new IllegalArgumentException("LoRA rank r must be > 0, was " + r);
        }
        if (!(alpha > 0) || !Float.isFinite(alpha)) {
            throw new IllegalArgumentException("lora_alpha must be a positive number, was " + alpha);
        }
        float scaling = rslora ? (float) (alpha / Math.sqrt(r)) : alpha / r;
        if (!(scaling <= MAX_SCALING)) {
            throw new IllegalArgumentException("lora_alpha " + alpha + " with r " + r + (rslora ? " and use_rslora" : "")
                    + " scales the update by " + scaling + ", more than " + MAX_SCALING + " (usual: 0.5 to 2, alpha = r or 2r)");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), was " + dropout);
        }
        targets = Set.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one target projection");
        }
        for (SiteKind k : targets) {
            if (k.role() != SiteKind.Role.PROJECTION) {
                throw new IllegalArgumentException("LoRA targets Linear projections; " + k + " is a " + k.role() + " site");
            }
        }
        layers = layers == null ? null : List.copyOf(layers);
    }

    /** r, alpha, on {@code targets} in every layer, no dropout. */
    public static LoraConfig of(int r, float alpha, SiteKind... targets) {
        return new LoraConfig(r, alpha, 0f, Set.of(targets), null, false);
    }

    /** The factor of B·A: {@code alpha / r}, or {@code alpha / √r} with rslora. */
    public float scaling() {
        return rslora ? (float) (alpha / Math.sqrt(r)) : alpha / r;
    }
}
