package dev.graft.adapters.adapter;

import dev.graft.adapters.nn.Parameter;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Helpers adapter types share to build hooks: parameter snapshots off-heap, and column scaling. */
public final class HookMemory {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HookMemory() {
    }

    /** A read-only off-heap copy of {@code p}'s current values, shaped like it. */
    public static Tensor snapshot(Parameter p, TensorArena arena) {
        return snapshot(p.values(), p.shape(), 1f, arena);
    }

    /** A read-only off-heap copy of {@code values × factor}. */
    public static Tensor snapshot(float[] values, int[] shape, float factor, TensorArena arena) {
        float[] v = factor == 1f ? values : scaled(values, factor);
        return arena.copyOf(v, Arrays.stream(shape).asLongStream().toArray()).asReadOnly();
    }

    private static float[] scaled(float[] values, float factor) {
        float[] v = values.clone();
        for (int i = 0; i < v.length; i++) {
            v[i] *= factor;
        }
        return v;
    }

    /** {@code y[r, j] *= f[j]} over {@code rows} rows of {@code f.length} columns, row stride {@code ldy}. */
    public static void scaleColumns(int rows, MemorySegment y, long yOff, int ldy, float[] f) {
        int width = f.length;
        for (int r = 0; r < rows; r++) {
            long base = yOff + (long) r * ldy;
            for (int j = 0; j < width; j++) {
                y.setAtIndex(F32, base + j, y.getAtIndex(F32, base + j) * f[j]);
            }
        }
    }

    /** A Linear's weight as an {@code [out, in]} row-major array, whatever layout its file stored. */
    public static float[] outInWeight(dev.graft.backbones.bert.Linear lin) {
        float[] w = lin.weight().toFloatArray();
        if (lin.outIn()) {
            return w;
        }
        int in = lin.in();
        int out = lin.out();
        float[] m = new float[w.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                m[o * in + i] = w[i * out + o];
            }
        }
        return m;
    }

    /** {@code out[r, j] -= h[r, j]} over {@code rows × width}. */
    public static void subtract(int rows, int width, MemorySegment h, long hOff, int ldh, MemorySegment out, long outOff,
                                int ldOut) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++) {
                long o = outOff + (long) r * ldOut + j;
                out.setAtIndex(F32, o, out.getAtIndex(F32, o) - h.getAtIndex(F32, hOff + (long) r * ldh + j));
            }
        }
    }

    /** {@code acc[i] += factor · v[i]} over {@code n} floats. */
    public static void addScaled(long n, MemorySegment v, float factor, MemorySegment acc) {
        for (long i = 0; i < n; i++) {
            acc.setAtIndex(F32, i, acc.getAtIndex(F32, i) + factor * v.getAtIndex(F32, i));
        }
    }
}
