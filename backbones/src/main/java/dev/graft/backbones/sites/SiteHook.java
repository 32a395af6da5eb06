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
    }

    /** At a {@link SiteKind.Role#RESIDUAL} site: the block output h becomes {@code h + f(h)}. */
    non-sealed interface Residual extends SiteHook {
        /** {@code out[rows × width] += f(h[rows × width])} (h and out do not overlap). */
        void addAdapted(Kernels kernels, int rows, MemorySegment h, long hOff, int ldh,
                        MemorySegment out, long outOff, int ldOut, TensorArena scratch);
    }

    /** At a {@link SiteKind.Role#SCALE} site: column j of the activation is multiplied by {@code l[j]}. */
    non-sealed interface Scale extends SiteHook {
        /** {@code y[r, j] *= l[j]} for {@code rows} rows of the site's width, in place. */
        void scale(int rows, MemorySegment y, long yOff, int ldy);
    }
}
