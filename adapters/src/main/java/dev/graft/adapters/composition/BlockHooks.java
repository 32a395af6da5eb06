package dev.graft.adapters.composition;

import dev.graft.backbones.sites.SiteHook;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The hooks a block puts at one site, over its children's hooks at that site (each child a leaf adapter's hook or
 * a nested block's). Forward and backward: a child's {@code backward} is only called when the child is a training
 * hook, so a block over frozen adapters passes gradients through them (for a {@link Fusion} inside it) without
 * changing them. Scratch comes from the call's arena; the hooks are immutable.
 */
final class BlockHooks {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BlockHooks() {
    }

    // ---- Stack ----------------------------------------------------------------------------------------------

    /**
     * LoRA in a Stack, as AdapterHub's {@code LoRALinear}: the first reads the projection's input x, each next one
     * reads the previous one's output, and only the last output is added: {@code y += Lₖ(…L₂(L₁(x)))}. Needs
     * in = out when there are several (checked by validation).
     */
    record StackProjection(List<SiteHook.Projection> chain, int in, int out) implements SiteHook.Projection {
        @Override
        public void addDelta(Kernels k, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff,
                             int ldy, TensorArena scratch) {
            MemorySegment[] t = forward(k, rows, x, xOff, ldx, scratch);
            chain.getLast().addDelta(k, rows, t[chain.size() - 1], 0, in, y, yOff, ldy, scratch);
        }

        /** t[0] = x (as a copy), t[j] = Lⱼ(t[j−1]) for j < size. */
        private MemorySegment[] forward(Kernels k, int rows, MemorySegment x, long xOff, int ldx, TensorArena scratch) {
            MemorySegment[] t = new MemorySegment[chain.size()];
            t[0] = copy(rows, in, x, xOff, ldx, scratch);
            for (int j = 1; j < chain.size(); j++) {
                t[j] = zeros(rows, out, scratch);
                chain.get(j - 1).addDelta(k, rows, t[j - 1], 0, in, t[j], 0, out, scratch);
            }
            return t;
        }

        @Override
        public void backward(Kernels k, int rows, MemorySegment x, long xOff, int ldx, MemorySegment dy, long dyOff,
                             int lddy, MemorySegment dx, long dxOff, int lddx, TensorArena scratch) {
            MemorySegment[] t = forward(k, rows, x, xOff, ldx, scratch);
            MemorySegment g = copy(rows, out, dy, dyOff, lddy, scratch);
            for (int j = chain.size() - 1; j >= 1; j--) {
                MemorySegment prev = zeros(rows, in, scratch);
                chain.get(j).backward(k, rows, t[j], 0, in, g, 0, out, prev, 0, in, scratch);
                g = prev;
            }
            chain.getFirst().backward(k, rows, x, xOff, ldx, g, 0, out, dx, dxOff, lddx, scratch);
        }
    }

    /**
     * Bottlenecks in a Stack, as AdapterHub's bottleneck layer: {@code h₀ = h}, {@code hⱼ = hⱼ₋₁ + fⱼ(hⱼ₋₁)} — each
     * adapter reads the previous one's output, residual included — and the block adds {@code hₖ − h}.
     */
    record StackResidual(List<SiteHook.Residual> chain, int width) implements SiteHook.Residual {
        @Override
        public void addAdapted(Kernels k, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out, long outOff,
                               int ldOut, TensorArena scratch) {
            MemorySegment[] cur = inputs(k, rows, h, hOff, ldh, scratch);
            int last = chain.size() - 1;
            for (int j = 0; j < last; j++) {
                addInto(rows, width, cur[j + 1], cur[j], out, outOff, ldOut); // out += hⱼ₊₁ − hⱼ
            }
            chain.get(last).addAdapted(k, rows, cur[last], 0, width, out, outOff, ldOut, scratch);
        }

        /** cur[j] = hⱼ for j < size (cur[0] a copy of h). */
        private MemorySegment[] inputs(Kernels k, int rows, MemorySegment h, long hOff, int ldh, TensorArena scratch) {
            MemorySegment[] cur = new MemorySegment[chain.size()];
            cur[0] = copy(rows, width, h, hOff, ldh, scratch);
            for (int j = 1; j < chain.size(); j++) {
                cur[j] = copy(rows, width, cur[j - 1], 0, width, scratch);
                chain.get(j - 1).addAdapted(k, rows, cur[j - 1], 0, width, cur[j], 0, width, scratch);
            }
            return cur;
        }

        @Override
        public void backward(Kernels k, int rows, MemorySegment h, long hOff, int ldh, MemorySegment dOut, long dOutOff,
                             int ldd, MemorySegment dh, long dhOff, int lddh, TensorArena scratch) {
            // the block adds hₖ − h: dhₖ = dOut; dhⱼ₋₁ = dhⱼ + Jⱼᵀ·dhⱼ; dh += dh₀ − dOut
            MemorySegment[] cur = inputs(k, rows, h, hOff, ldh, scratch);
            MemorySegment g = copy(rows, width, dOut, dOutOff, ldd, scratch);
            for (int j = chain.size() - 1; j >= 0; j--) {
                MemorySegment prev = copy(rows, width, g, 0, width, scratch);
                chain.get(j).backward(k, rows, cur[j], 0, width, g, 0, width, prev, 0, width, scratch);
                g = prev;
            }
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < width; c++) {
                    long o = dhOff + (long) r * lddh + c;
                    dh.setAtIndex(F32, o, dh.getAtIndex(F32, o) + g.getAtIndex(F32, (long) r * width + c)
                            - dOut.getAtIndex(F32, dOutOff + (long) r * ldd + c));
                }
            }
        }
    }

    /** (IA)³ in a Stack: the scales applied one after another, {@code y ⊙ l₁ ⊙ l₂ …} (AdapterHub multiplies them). */
    record StackScale(List<SiteHook.Scale> chain, int width) implements SiteHook.Scale {
        @Override
        public void scale(int rows, MemorySegment y, long yOff, int ldy) {
            for (SiteHook.Scale s : chain) {
                s.scale(rows, y, yOff, ldy);
            }
        }

        @Override
        public void backward(Kernels k, int rows, MemorySegment y, long yOff, int ldy, MemorySegment dy, long dyOff,
                             int lddy, TensorArena scratch) {
            MemorySegment[] before = new MemorySegment[chain.size()];
            before[0] = copy(rows, width, y, yOff, ldy, scratch);
            for (int j = 1; j < chain.size(); j++) {
                before[j] = copy(rows, width, before[j - 1], 0, width, scratch);
                chain.get(j - 1).scale(rows, before[j], 0, width);
            }
            for (int j = chain.size() - 1; j >= 0; j--) {
                chain.get(j).backward(k, rows, before[j], 0, width, dy, dyOff, lddy, scratch);
            }
        }
    }

    // ---- Average --------------------------------------------------------------------------------------------

    /** LoRA under Average: {@code y += Σ wᵢ·δᵢ(x)} (a child without this site adds nothing). */
    record AverageProjection(List<SiteHook.Projection> children, float[] weights, int in, int out)
            implements SiteHook.Projection {
        @Override
        public void addDelta(Kernels k, int rows, MemorySegment x, long xOff, int ldx, MemorySegment y, long yOff,
                             int ldy, TensorArena scratch) {
            for (int i = 0; i < children.size(); i++) {
                MemorySegment t = zeros(rows, out, scratch);
                children.get(i).addDelta(k, rows, x, xOff, ldx, t, 0, out, scratch);
                addScaled(rows, out, t, weights[i], y, yOff, ldy);
            }
        }

        @Override
        public void backward(Kernels k, int rows, MemorySegment x, long xOff, int ldx, MemorySegment dy, long dyOff,
                             int lddy, MemorySegment dx, long dxOff, int lddx, TensorArena scratch) {
            for (int i = 0; i < children.size(); i++) {
                MemorySegment g = scaled(rows, out, dy, dyOff, lddy, weights[i], scratch);
                children.get(i).backward(k, rows, x, xOff, ldx, g, 0, out, dx, dxOff, lddx, scratch);
            }
        }
    }

    /** Bottlenecks under Average: {@code out += Σ wᵢ·fᵢ(h)} — with Σ wᵢ = 1, the weighted average of hᵢ = h + fᵢ(h). */
    record AverageResidual(List<SiteHook.Residual> children, float[] weights, int width) implements SiteHook.Residual {
        @Override
        public void addAdapted(Kernels k, int rows, MemorySegment h, long hOff, int ldh, MemorySegment out, long outOff,
                               int ldOut, TensorArena scratch) {
            for (int i = 0; i < children.size(); i++) {
                MemorySegment t = zeros(rows, width, scratch);
                children.get(i).addAdapted(k, rows, h, hOff, ldh, t, 0, width, scratch);
                addScaled(rows, width, t, weights[i], out, outOff, ldOut);
            }
        }

        @Override
        public void backward(Kernels k, int rows, MemorySegment h, long hOff, int ldh, MemorySegment dOut, long dOutOff,
                             int ldd, MemorySegment dh, long dhOff, int lddh, TensorArena scratch) {
            for (int i = 0; i < children.size(); i++) {
                MemorySegment g = scaled(rows, width, dOut, dOutOff, ldd, weights[i], scratch);
                children.get(i).backward(k, rows, h, hOff, ldh, g, 0, width, dh, dhOff, lddh, scratch);
            }
        }
    }

    /**
     * (IA)³ under Average: {@code y ⊙ (Σ wᵢ·lᵢ + rest)}, where {@code rest} is the weight of the children without
     * this site (their scale is 1).
     */
    record AverageScale(List<SiteHook.Scale> children, float[] weights, float rest, int width) implements SiteHook.Scale {
        @Override
        public void scale(int rows, MemorySegment y, long yOff, int ldy) {
            // the scales are per column: apply each child to a row of ones to read its lᵢ, then scale y once
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment l = combined(a);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < width; c++) {
                        long o = yOff + (long) r * ldy + c;
                        y.setAtIndex(F32, o, y.getAtIndex(F32, o) * l.getAtIndex(F32, c));
                    }
                }
            }
        }

        private MemorySegment combined(java.lang.foreign.Arena a) {
            MemorySegment l = a.allocate((long) width * Float.BYTES);
            MemorySegment one = a.allocate((long) width * Float.BYTES);
            for (int c = 0; c < width; c++) {
                l.setAtIndex(F32, c, rest);
            }
            for (int i = 0; i < children.size(); i++) {
                for (int c = 0; c < width; c++) {
                    one.setAtIndex(F32, c, 1f);
                }
                children.get(i).scale(1, one, 0, width);
                for (int c = 0; c < width; c++) {
                    l.setAtIndex(F32, c, l.getAtIndex(F32, c) + weights[i] * one.getAtIndex(F32, c));
                }
            }
            return l;
        }

        @Override
        public void backward(Kernels k, int rows, MemorySegment y, long yOff, int ldy, MemorySegment dy, long dyOff,
                             int lddy, TensorArena scratch) {
            // dlᵢ += wᵢ·Σ dy ⊙ y (the child's backward with wᵢ·dy); d(unscaled) = Σ wᵢ·(dy ⊙ lᵢ) + rest·dy
            MemorySegment total = scaled(rows, width, dy, dyOff, lddy, rest, scratch);
            for (int i = 0; i < children.size(); i++) {
                MemorySegment g = scaled(rows, width, dy, dyOff, lddy, weights[i], scratch);
                children.get(i).backward(k, rows, y, yOff, ldy, g, 0, width, scratch);
                addScaled(rows, width, g, 1f, total, 0, width);
            }
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(total, (long) r * width * Float.BYTES, dy, (dyOff + (long) r * lddy) * Float.BYTES,
                        (long) width * Float.BYTES);
            }
        }
    }

    // ---- memory helpers -------------------------------------------------------------------------------------

    static MemorySegment zeros(int rows, int cols, TensorArena scratch) {
        return scratch.allocate(DType.F32, rows, cols).segment();
    }

    static MemorySegment copy(int rows, int cols, MemorySegment src, long off, int ld, TensorArena scratch) {
        MemorySegment m = scratch.allocateUninitialized(DType.F32, rows, cols).segment();
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(src, (off + (long) r * ld) * Float.BYTES, m, (long) r * cols * Float.BYTES,
                    (long) cols * Float.BYTES);
        }
        return m;
    }

    static MemorySegment scaled(int rows, int cols, MemorySegment src, long off, int ld, float f, TensorArena scratch) {
        MemorySegment m = scratch.allocateUninitialized(DType.F32, rows, cols).segment();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m.setAtIndex(F32, (long) r * cols + c, f * src.getAtIndex(F32, off + (long) r * ld + c));
            }
        }
        return m;
    }

    /** dst[r, c] += f·t[r, c] (t dense rows × cols). */
    static void addScaled(int rows, int cols, MemorySegment t, float f, MemorySegment dst, long off, int ld) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long o = off + (long) r * ld + c;
                dst.setAtIndex(F32, o, dst.getAtIndex(F32, o) + f * t.getAtIndex(F32, (long) r * cols + c));
            }
        }
    }

    /** dst[r, c] += a[r, c] − b[r, c] (a, b dense rows × cols). */
    private static void addInto(int rows, int cols, MemorySegment a, MemorySegment b, MemorySegment dst, long off, int ld) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                long o = off + (long) r * ld + c;
                dst.setAtIndex(F32, o, dst.getAtIndex(F32, o) + a.getAtIndex(F32, i) - b.getAtIndex(F32, i));
            }
        }
    }
}
