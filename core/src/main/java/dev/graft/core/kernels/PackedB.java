package dev.graft.core.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A constant right-hand GEMM operand B ([k×n] as used in {@code A·B}) copied once, by {@link Kernels#packB}, into
 * the layout the kernels stream, so that every later {@link Kernels#gemm(int, MemorySegment, long, int, PackedB,
 * MemorySegment, long, Activation, boolean, MemorySegment, long, int) gemm} with it skips the per-call packing and
 * reads B sequentially, once. Meant for frozen weights (a backbone's projections), which ONNX Runtime pre-packs the
 * same way when a session is created.
 *
 * <p>Two layouts, named by {@link #lanes()}:
 * <ul>
 *   <li>{@code lanes == 0}: plain row-major [k×n] (what {@link ScalarKernels} produces);</li>
 *   <li>{@code lanes > 0}: column slabs one vector ({@code lanes} floats) wide, slab {@code s} (columns
 *       {@code [s·lanes, (s+1)·lanes)}) at float {@code s·k·lanes}, holding its k rows one after the other — so a
 *       kernel reads each slab as one sequential stream. The columns past n are zeros, and so are whole slabs up to
 *       the end of the last group of four slabs (or of two, when the last group's columns fit in two), so kernels
 *       that read 4 or 2 slabs at once stay in bounds.</li>
 * </ul>
 * Either kernels implementation accepts either layout (the other one runs on a slower path); {@link #get} reads
 * any element in both.
 *
 * <p>The memory belongs to whoever supplied the allocator to {@code packB} (a {@code TensorArena}, say); the
 * PackedB is valid while it is open. Immutable; safe to share between threads.
 */
public final class PackedB {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int k;
    private final int n;
    private final int lanes;
    private final MemorySegment data;

    /**
     * Wraps packed floats; {@code data} must hold {@link #floats(int, int, int)} floats in the layout {@code lanes}
     * names (0: row-major).
     */
    public PackedB(int k, int n, int lanes, MemorySegment data) {
        if (k < 0 || n < 0 || lanes < 0) {
            throw new IllegalArgumentException("packed B: negative size k=" + k + " n=" + n + " lanes=" + lanes);
        }
        this.k = k;
        this.n = n;
        this.lanes = lanes;
        this.data = Objects.requireNonNull(data, "data");
        long need = floats(k, n, lanes) * Float.BYTES;
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("packed B [" + k + "×" + n + "] needs " + need
                    + " bytes but its segment holds " + data.byteSize());
        }
    }

    /** Floats a packed [k×n] B takes in the layout of {@code lanes} (0: row-major). */
    public static long floats(int k, int n, int lanes) {
        if (lanes == 0 || n == 0) {
            return (long) k * n;
        }
        int group = 4 * lanes;
        int full = n / group;
        int rest = n - full * group;
        return (long) k * ((long) full * group + (rest == 0 ? 0 : rest > 2 * lanes ? group : 2 * lanes));
    }

    /** Width in floats of a group of slabs holding {@code cols} real columns: 4, 2 or 1 vectors. */
    public static int panelWidth(int cols, int lanes) {
        return cols > 2 * lanes ? 4 * lanes : cols > lanes ? 2 * lanes : lanes;
    }

    /** Rows of B (the GEMM's k). */
    public int k() {
        return k;
    }

    /** Columns of B (the GEMM's n). */
    public int n() {
        return n;
    }

    /** Vector lanes (slab width) of the slab layout, 0 for plain row-major. */
    public int lanes() {
        return lanes;
    }

    /** The packed floats (little-endian). */
    public MemorySegment segment() {
        return data;
    }

    /** Bytes the packed copy takes. */
    public long byteSize() {
        return floats(k, n, lanes) * Float.BYTES;
    }

    /** Element index in {@link #segment()} of B[p, j]. */
    public long index(int p, int j) {
        if (lanes == 0) {
            return (long) p * n + j;
        }
        int slab = j / lanes;
        return ((long) slab * k + p) * lanes + (j - slab * lanes);
    }

    /** B[p, j]. */
    public float get(int p, int j) {
        Objects.checkIndex(p, k);
        Objects.checkIndex(j, n);
        return data.getAtIndex(F32, index(p, j));
    }

    @Override
    public String toString() {
        return "PackedB[" + k + "×" + n + (lanes == 0 ? ", row-major" : ", slabs of " + lanes) + "]";
    }
}
