package dev.graft.backbones.sites;

/**
 * The kinds of site a BERT-family layer offers, each with the role that says what a hook there does, and the
 * Hugging Face module it belongs to (relative to {@code encoder.layer.N.}), which is how PEFT files name it.
 * H = hidden, I = intermediate.
 */
public enum SiteKind {
    /** Query projection H → H: a hook adds a delta to its output (LoRA). */
    QUERY(Role.PROJECTION, "attention.self.query"),
    /** Key projection H → H. */
    KEY(Role.PROJECTION, "attention.self.key"),
    /** Value projection H → H. */
    VALUE(Role.PROJECTION, "attention.self.value"),
    /** Attention output projection H → H (before the residual and LayerNorm). */
    ATTENTION_OUTPUT(Role.PROJECTION, "attention.output.dense"),
    /** Feed-forward up projection H → I (the delta is added before the GELU). */
    INTERMEDIATE(Role.PROJECTION, "intermediate.dense"),
    /** Feed-forward down projection I → H (before the residual and LayerNorm). */
    OUTPUT(Role.PROJECTION, "output.dense"),
    /**
     * The attention block's output h = ctx·Wo + bo, width H, before {@code LayerNorm(x + h)}: a hook adds f(h)
     * (Houlsby's first bottleneck adapter).
     */
    AFTER_ATTENTION(Role.RESIDUAL, "attention.output"),
    /** The feed-forward block's output h = ffn·Wout + bout, width H, before {@code LayerNorm(x + h)} (Houlsby, Pfeiffer). */
    AFTER_FFN(Role.RESIDUAL, "output"),
    /** The keys (output of the key projection), width H: a hook scales each column ((IA)³ l_k). */
    KEY_SCALE(Role.SCALE, "attention.self.key"),
    /** The values (output of the value projection), width H ((IA)³ l_v). */
    VALUE_SCALE(Role.SCALE, "attention.self.value"),
    /** The intermediate activation GELU(x·Wi + bi), width I — the input of {@code output.dense} ((IA)³ l_ff). */
    INTERMEDIATE_SCALE(Role.SCALE, "output.dense"),
    /**
     * The attention context (softmax · v, heads side by side), width H — the input of {@code attention.output.dense}
     * (what PEFT's default (IA)³ config for BERT also scales, since its "output.dense" matches that module too).
     */
    CONTEXT_SCALE(Role.SCALE, "attention.output.dense");

    /** What a hook at a site does. */
    public enum Role {
        /** Adds {@code delta(x)} to a Linear projection's output (or replaces its weight by a merged copy). */
        PROJECTION,
        /** Adds {@code f(h)} to a block's output h before the block's residual and LayerNorm. */
        RESIDUAL,
        /** Multiplies each column of an activation by a learned factor. */
        SCALE
    }

    private final Role role;
    private final String module;

    SiteKind(Role role, String module) {
        this.role = role;
        this.module = module;
    }

    public Role role() {
        return role;
    }

    /** The Hugging Face module the site belongs to, relative to {@code encoder.layer.N.} ("attention.self.query"). */
    public String module() {
        return module;
    }
}
