package dev.graft.core.kernels;

/** Element-wise activation fused into a GEMM epilogue (applied after the bias, before accumulation). */
public enum Activation {
    /** Identity. */
    NONE,
    /** GELU in its exact erf form, {@code x/2 · (1 + erf(x/√2))}, as BERT uses. */
    GELU,
    /** {@code max(0, x)}. */
    RELU,
    /** {@code tanh(x)}. */
    TANH
}
