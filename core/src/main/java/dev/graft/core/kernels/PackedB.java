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
 * <p>Two layouts, named by {@link #panel()}:
 * <ul>
 *   <li>{@code panel == 0}: plain row-major [k×n] (what {@link ScalarKernels} produces);</li>
 *   <li>{@code panel > 0}: column panels of {@code panel} floats (four vectors of {@link #lanes()} floats), panel
 *       {@code jp} at float {@code jp·k·panel}, each holding k steps of its columns one after the other; the last
 *       panel is only as wide as it needs to be ({@code panel}, half or a quarter of it) and zero-padded.</li>
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
        int panel = 4 * lanes;
        int full = n / panel;
        int rest = n - full * panel;
        return (long) k * ((long) full * panel + (rest == 0 ? 0 : panelWidth(rest, lanes)));
    }

    /** Width in floats of a panel holding {@code cols} real columns: 4, 2 or 1 vectors. */
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

    /** Vector lanes of the panel layout, 0 for plain row-major. */
    public int lanes() {
        return lanes;
    }

    /** Floats per full panel (4 · lanes), 0 for plain row-major. */
    public int panel() {
        return 4 * lanes;
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
        int panel = 4 * lanes;
        int jp = j / panel;
        int col0 = jp * panel;
        int w = panelWidth(Math.min(panel, n - col0), lanes);
        return (long) col0 * k + (long) p * w + (j - col0);
    }

    /** B[p, j]. */
    public float get(int p, int j) {
        Objects.checkIndex(p, k);
        Objects.checkIndex(j, n);
        return data.getAtIndex(F32, index(p, j));
    }

    @Override
    public String toString() {
        return "PackedB[" + k + "×" + n + (lanes == 0 ? ", row-major" : ", panels of " + 4 * lanes) + "]";
    }
}
