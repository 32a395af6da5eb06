package dev.graft.backbones.sites;

import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;

/**
 * What the encoder calls at a site, one sub-interface per {@link SiteKind.Role}. Matrices are row-major f32 with
 * element offsets and leading dimensions as in {@link Kernels}. Implementations are immutable and thread-safe:
 * scratch comes from the {@code scratch} arena of the call.
 */
public sealed interface SiteHook permits SiteHook.Projection, SiteHook.Residual, SiteHook.Scale {

    /** At a {@link SiteKind.Role#PROJECTION} site: {@code y = x·W + b + delta(x)}. */
    non-sealed interface Projection extends SiteHook {
        /**
         * {@code y[rows × out] += delta(x[rows × in])}; y already holds {@code x·W + b} (before any activation).
         */
        void addDelta(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx,
                      MemorySegment y, long yOff, int ldy, TensorArena scratch);

        /**
         * A merged copy {@code [out, in]} of the projection's weight that the encoder uses instead of the frozen one
         * (the bias stays the frozen one), or null to keep the frozen weight. A hook with a merged weight usually
         * adds no delta.
         */
        default Tensor mergedWeight() {
            return null;
        }

        /** With a {@link #mergedWeight()}: a merged copy {@code [out]} of the bias, or null to keep the frozen bias. */
        default Tensor mergedBias() {
            return null;
        }

        /**
         * Training: given the forward's input x and the gradient dy of y, adds {@code ∂delta/∂x}ᵀ·dy into dx
         * ({@code rows × in}) and accumulates the hook's own parameter gradients. Called once per forward call of
         * {@link #addDelta} with the same x, on the thread that ran the forward.
         *
         * @throws UnsupportedOperationException for an inference-only hook (a snapshot or a merged weight)
         */
        default void backward(Kernels kernels, int rows, MemorySegment x, long xOff, int ldx, MemorySegment dy,
                              long dyOff, int lddy, MemorySegment dx, long dxOff, int lddx, TensorArena scratch) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " is an inference hook: it cannot be trained");
        }
    }

    /**
     * A projection hook whose delta is LoRA's {@code scale · (x·Aᵀ)·Bᵀ}, with its factors exposed so that
     * {@link SiteHooks#routed} can apply the low-rank hooks of many row segments in one {@link Kernels#sgmv} call.
     * The segments are immutable snapshots, laid out once when the hook is built.
     */
    interface LowRank extends Projection {
        /** The rank r. */
        int rank();

        /** Input width of the projection. */
        int in();

        /** Output width of the projection. */
        int out();

        /** A {@code [r, in]}, row-major. */
        MemorySegment a();

        /** Bᵀ {@code [r, out]}, row-major (B transposed). */
        MemorySegment bTransposed();

        /** The factor applied to {@code x·Aᵀ} (LoRA's {@code alpha/r}, or {@code alpha/√r} with rsLoRA). */
        float scale();
    }

    /** At a {@link SiteKind.Role#RESIDUAL} site: the block output h becomes {@code h + f(h)}. */
    non-sealed interface Residual extends SiteHook {
        /** {@code out[rows × width] += f(h[rows × width])} (h and out do not overlap). */
        void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh,
                        MemorySegment out, long outOff, int ldOut, TensorArena scratch);

        /**
         * Training: given the forward's h and the gradient dOut of {@code out}, adds {@code ∂f/∂h}ᵀ·dOut into dh and
         * accumulates the hook's parameter gradients.
         *
         * @throws UnsupportedOperationException for an inference-only hook
         */
        default void backward(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh, MemorySegment dOut,
                              long dOutOff, int ldd, MemorySegment dh, long dhOff, int lddh, TensorArena scratch) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " is an inference hook: it cannot be trained");
        }
    }

    /** At a {@link SiteKind.Role#SCALE} site: column j of the activation is multiplied by {@code l[j]}. */
    non-sealed interface Scale extends SiteHook {
        /** {@code y[r, j] *= l[j]} for {@code rows} rows of the site's width, in place. */
        void scale(int rows, MemorySegment y, long yOff, int ldy);

        /**
         * Training: given the activation before scaling and the gradient dy of the scaled one, accumulates
         * {@code dl[j] += Σ_r dy[r, j]·y[r, j]} and turns dy, in place, into the gradient of the unscaled activation
         * ({@code dy[r, j] *= l[j]}).
         *
         * @throws UnsupportedOperationException for an inference-only hook
         */
        default void backward(Kernels kernels, int rows, MemorySegment y, long yOff, int ldy, MemorySegment dy,
                              long dyOff, int lddy, TensorArena scratch) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " is an inference hook: it cannot be trained");
        }
    }
}
