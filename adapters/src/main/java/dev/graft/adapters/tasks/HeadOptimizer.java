package dev.graft.adapters.tasks;

/** How a head is trained on frozen features (adapters always train with AdamW). */
public enum HeadOptimizer {
    /** L-BFGS for a linear head on one stage's features, AdamW for anything else. */
    AUTO,
    /** Mini-batch AdamW with early stopping on validation ({@link dev.graft.adapters.train.Trainer}). */
    ADAMW,
    /**
     * Full-batch L-BFGS to convergence, L2 strength chosen on validation, final fit on training + validation
     * ({@link dev.graft.adapters.train.LbfgsTrainer}); for linear heads, optionally over a layer mix.
     */
    LBFGS
}
