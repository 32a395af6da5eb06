package dev.graft.core.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Segmented LoRA (Punica's SGMV) with the Vector API: for each adapted segment, row by row,
 * {@code t = scale · x_row·Aᵀ} (four rank rows of A per sweep over x_row, a vector accumulator each, lanes summed
 * at the end) and then {@code y_row += t·(Bᵀ)} as broadcast fused multiply-adds along y's row. Every row is done on
 * its own, so its bits do not depend on the segment or the batch it is in. Tails (in or out not a multiple of the
 * vector length) are finished with scalar fused multiply-adds. Allocates nothing.
 */
final class VectorSgmv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private VectorSgmv() {
    }

    static void sgmv(int segments, int[] starts, int in, int out, MemorySegment x, long xOff, int ldx,
                     MemorySegment[] a, MemorySegment[] bt, int[] ranks, float[] scales,
                     MemorySegment y, long yOff, int ldy, MemorySegment t, long tOff) {
        for (int s = 0; s < segments; s++) {
            MemorySegment as = a[s];
            if (as == null) {
                continue;
            }
            int r = ranks[s];
            float scale = scales[s];
            MemorySegment bs = bt[s];
            for (int row = starts[s]; row < starts[s + 1]; row++) {
                long xb = (xOff + (long) row * ldx) * Float.BYTES;
                down(in, r, scale, x, xb, as, t, tOff * Float.BYTES);
                up(out, r, t, tOff * Float.BYTES, bs, y, (yOff + (long) row * ldy) * Float.BYTES);
            }
        }
    }

    /** t[k] = scale · Σ_i x[i]·A[k, i] for k &lt; r (byte offsets xb, tb). */
    private static void down(int in, int r, float scale, MemorySegment x, long xb, MemorySegment a, MemorySegment t,
                             long tb) {
        int bound = in - in % L;
        long aRow = (long) in * Float.BYTES;
        int k = 0;
        for (; k + 4 <= r; k += 4) {
            long a0 = k * aRow;
            long a1 = a0 + aRow;
            long a2 = a1 + aRow;
            long a3 = a2 + aRow;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int i = 0; i < bound; i += L) {
                long o = (long) i * Float.BYTES;
                FloatVector xv = FloatVector.fromMemorySegment(F, x, xb + o, LE);
                s0 = xv.fma(FloatVector.fromMemorySegment(F, a, a0 + o, LE), s0);
                s1 = xv.fma(FloatVector.fromMemorySegment(F, a, a1 + o, LE), s1);
                s2 = xv.fma(FloatVector.fromMemorySegment(F, a, a2 + o, LE), s2);
                s3 = xv.fma(FloatVector.fromMemorySegment(F, a, a3 + o, LE), s3);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD);
            float d1 = s1.reduceLanes(VectorOperators.ADD);
            float d2 = s2.reduceLanes(VectorOperators.ADD);
            float d3 = s3.reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < in; i++) {
                long o = (long) i * Float.BYTES;
                float xi = x.get(F32, xb + o);
                d0 = Math.fma(xi, a.get(F32, a0 + o), d0);
                d1 = Math.fma(xi, a.get(F32, a1 + o), d1);
                d2 = Math.fma(xi, a.get(F32, a2 + o), d2);
                d3 = Math.fma(xi, a.get(F32, a3 + o), d3);
            }
            t.set(F32, tb + (long) k * Float.BYTES, scale * d0);
            t.set(F32, tb + (long) (k + 1) * Float.BYTES, scale * d1);
            t.set(F32, tb + (long) (k + 2) * Float.BYTES, scale * d2);
            t.set(F32, tb + (long) (k + 3) * Float.BYTES, scale * d3);
        }
        for (; k < r; k++) {
            long a0 = k * aRow;
            FloatVector s0 = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L) {
                long o = (long) i * Float.BYTES;
                s0 = FloatVector.fromMemorySegment(F, x, xb + o, LE).fma(FloatVector.fromMemorySegment(F, a, a0 + o, LE), s0);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD);
            for (int i = bound; i < in; i++) {
                long o = (long) i * Float.BYTES;
                d0 = Math.fma(x.get(F32, xb + o), a.get(F32, a0 + o), d0);
            }
            t.set(F32, tb + (long) k * Float.BYTES, scale * d0);
        }
    }

    /** y[o] += Σ_k t[k]·Bt[k, o] for o &lt; out (byte offsets tb, yb). */
    private static void up(int out, int r, MemorySegment t, long tb, MemorySegment bt, MemorySegment y, long yb) {
        int bound = out - out % L;
        long bRow = (long) out * Float.BYTES;
        int o = 0;
        for (; o + 2 * L <= bound; o += 2 * L) {
            long ob = (long) o * Float.BYTES;
            FloatVector y0 = FloatVector.fromMemorySegment(F, y, yb + ob, LE);
            FloatVector y1 = FloatVector.fromMemorySegment(F, y, yb + ob + (long) L * Float.BYTES, LE);
            long bb = ob;
            for (int k = 0; k < r; k++, bb += bRow) {
                FloatVector tk = FloatVector.broadcast(F, t.get(F32, tb + (long) k * Float.BYTES));
                y0 = FloatVector.fromMemorySegment(F, bt, bb, LE).fma(tk, y0);
                y1 = FloatVector.fromMemorySegment(F, bt, bb + (long) L * Float.BYTES, LE).fma(tk, y1);
            }
            y0.intoMemorySegment(y, yb + ob, LE);
            y1.intoMemorySegment(y, yb + ob + (long) L * Float.BYTES, LE);
        }
        for (; o < bound; o += L) {
            long ob = (long) o * Float.BYTES;
            FloatVector y0 = FloatVector.fromMemorySegment(F, y, yb + ob, LE);
            long bb = ob;
            for (int k = 0; k < r; k++, bb += bRow) {
                FloatVector tk = FloatVector.broadcast(F, t.get(F32, tb + (long) k * Float.BYTES));
                y0 = FloatVector.fromMemorySegment(F, bt, bb, LE).fma(tk, y0);
            }
            y0.intoMemorySegment(y, yb + ob, LE);
        }
        for (; o < out; o++) {
            long ob = (long) o * Float.BYTES;
            float acc = y.get(F32, yb + ob);
            for (int k = 0; k < r; k++) {
                acc = Math.fma(t.get(F32, tb + (long) k * Float.BYTES), bt.get(F32, k * bRow + ob), acc);
            }
            y.set(F32, yb + ob, acc);
        }
    }
}
