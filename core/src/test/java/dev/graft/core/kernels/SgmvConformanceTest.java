package dev.graft.core.kernels;

import static dev.graft.core.kernels.KernelTesting.SCALAR;
import static dev.graft.core.kernels.KernelTesting.SENTINEL;
import static dev.graft.core.kernels.KernelTesting.VECTOR;
import static dev.graft.core.kernels.KernelTesting.bits;
import static dev.graft.core.kernels.KernelTesting.filled;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.kernels.KernelTesting.TestArena;
import dev.graft.core.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Kernels#sgmv} (segmented LoRA): the scalar reference against a double-precision evaluation of the
 * definition written from B (not Bᵀ), and the Vector API kernel against the scalar one, on sizes that are not
 * multiples of the vector length, with empty segments, segments without an adapter (their rows of y keep their
 * bits), ranks 1 to 64 mixed in one call, nonzero offsets and row strides wider than the rows (the gaps of y keep
 * the sentinel). Tolerance: {@code |Δy| ≤ 2e-6 · (|y₀| + Σ_k |t_k|·|B[o, k]|)} with {@code t = s·x·Aᵀ} (the scale
 * of every term, summed in magnitude) per element.
 */
class SgmvConformanceTest {
    @RegisterExtension
    final TestArena arena = new TestArena("sgmv-conformance-test");

    /** (rows per segment, rank per segment — 0 = no adapter, in, out). */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(new int[] {3, 0, 5, 1}, new int[] {1, 8, 64, 3}, 17, 31),
                Arguments.of(new int[] {4, 2, 6}, new int[] {8, 0, 8}, 384, 384),
                Arguments.of(new int[] {1}, new int[] {1}, 1, 1),
                Arguments.of(new int[] {2, 3}, new int[] {5, 2}, 7, 1),
                Arguments.of(new int[] {5, 0, 0, 7, 3}, new int[] {64, 4, 0, 1, 13}, 1536, 385),
                Arguments.of(new int[] {9, 11}, new int[] {3, 64}, 63, 1536),
                Arguments.of(new int[] {0, 0}, new int[] {8, 8}, 16, 16),
                Arguments.of(new int[] {6}, new int[] {0}, 15, 33));
    }

    @ParameterizedTest(name = "rows {0} ranks {1} in={2} out={3}")
    @MethodSource("shapes")
    void vectorMatchesScalarAndScalarMatchesTheDefinition(int[] rowsPer, int[] ranks, int in, int out) {
        Problem p = new Problem(new Random(31L * in + out), rowsPer, ranks, in, out);
        float[] scalar = p.run(SCALAR);
        float[] vector = p.run(VECTOR);
        for (int row = 0; row < p.rows; row++) {
            int s = p.segmentOf(row);
            for (int j = 0; j < p.ldy; j++) {
                int e = p.yOff + row * p.ldy + j;
                if (j >= out || ranks[s] == 0) { // gaps, and rows without an adapter: untouched
                    assertThat(Float.floatToRawIntBits(vector[e])).as("row %s col %s (vector)", row, j)
                            .isEqualTo(Float.floatToRawIntBits(p.y0[e]));
                    assertThat(Float.floatToRawIntBits(scalar[e])).as("row %s col %s (scalar)", row, j)
                            .isEqualTo(Float.floatToRawIntBits(p.y0[e]));
                    continue;
                }
                double[] ref = p.reference(row, j);
                double tol = 2e-6 * ref[1] + Float.MIN_NORMAL;
                assertThat((double) scalar[e]).as("scalar row %s col %s", row, j).isCloseTo(ref[0], org.assertj.core.data.Offset.offset(tol));
                assertThat((double) vector[e]).as("vector row %s col %s", row, j).isCloseTo((double) scalar[e], org.assertj.core.data.Offset.offset(2 * tol));
            }
        }
        // outside y's rows: untouched
        assertThat(Arrays.copyOfRange(vector, 0, p.yOff)).containsOnly(SENTINEL);
        assertThat(Arrays.copyOfRange(vector, p.yOff + p.rows * p.ldy, vector.length)).containsOnly(SENTINEL);
    }

    @Test
    void aRowGetsTheSameBitsInABatchAsAlone() {
        Problem batch = new Problem(new Random(5), new int[] {4, 3, 6}, new int[] {8, 0, 8}, 384, 384);
        float[] together = batch.run(VECTOR);
        for (int row : new int[] {0, 3, 7, 12}) {
            int s = batch.segmentOf(row);
            // the same row, alone in a one-row, one-segment call with its segment's adapter
            MemorySegment x = arena.copyOf(Arrays.copyOfRange(batch.x, batch.xOff + row * batch.ldx,
                    batch.xOff + row * batch.ldx + batch.in), batch.in).segment();
            float[] y0 = Arrays.copyOfRange(batch.y0, batch.yOff + row * batch.ldy, batch.yOff + row * batch.ldy + batch.out);
            Tensor y = arena.copyOf(y0, y0.length);
            MemorySegment t = arena.allocate(dev.graft.core.tensor.DType.F32, 64).segment();
            VECTOR.sgmv(1, new int[] {0, 1}, batch.in, batch.out, x, 0, batch.in, new MemorySegment[] {batch.a[s]},
                    new MemorySegment[] {batch.bt[s]}, new int[] {batch.ranks[s]}, new float[] {batch.scales[s]},
                    y.segment(), 0, batch.out, t, 0);
            float[] inBatch = Arrays.copyOfRange(together, batch.yOff + row * batch.ldy, batch.yOff + row * batch.ldy + batch.out);
            assertThat(bits(y.toFloatArray())).as("row %s", row).containsExactly(bits(inBatch));
        }
    }

    @Test
    void badSegmentsAndShortOperandsFailNamingThem() {
        MemorySegment x = arena.copyOf(new float[40], 40).segment();
        MemorySegment a = arena.copyOf(new float[8], 8).segment();
        MemorySegment t = arena.copyOf(new float[8], 8).segment();
        MemorySegment[] as = {a, a};
        int[] ranks = {1, 1};
        float[] scales = {1f, 1f};
        assertThatThrownBy(() -> SCALAR.sgmv(2, new int[] {0, 3, 2}, 4, 4, x, 0, 4, as, as, ranks, scales, x, 0, 4, t, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment 1 ends (row 2) before it starts (row 3)");
        assertThatThrownBy(() -> VECTOR.sgmv(2, new int[] {0, 1, 2}, 4, 4, x, 0, 4, as, as, new int[] {1, 3}, scales,
                x, 0, 4, t, 0))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("segment 1 (rank 3) needs A [3, 4]");
        assertThatThrownBy(() -> VECTOR.sgmv(2, new int[] {0, 1}, 4, 4, x, 0, 4, as, as, ranks, scales, x, 0, 4, t, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 segments need 3 starts");
    }

    /** Operands of one call: x, y inside sentinels at offsets with wide rows, A and Bᵀ per segment. */
    private final class Problem {
        final int in;
        final int out;
        final int rows;
        final int[] starts;
        final int[] ranks;
        final float[] scales;
        final MemorySegment[] a;
        final MemorySegment[] bt;
        final float[][] aValues;
        final float[][] bValues; // B [out, r]
        final int xOff = 3;
        final int ldx;
        final int yOff = 5;
        final int ldy;
        final float[] x;
        final float[] y0;

        Problem(Random random, int[] rowsPer, int[] ranks, int in, int out) {
            this.in = in;
            this.out = out;
            this.ranks = ranks;
            int segments = rowsPer.length;
            starts = new int[segments + 1];
            for (int s = 0; s < segments; s++) {
                starts[s + 1] = starts[s] + rowsPer[s];
            }
            rows = starts[segments];
            ldx = in + 2;
            ldy = out + 3;
            x = filled(xOff + rows * ldx + KernelTesting.PAD, SENTINEL);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < in; i++) {
                    x[xOff + r * ldx + i] = random.nextFloat() * 2 - 1;
                }
            }
            y0 = filled(yOff + rows * ldy + KernelTesting.PAD, SENTINEL);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < out; j++) {
                    y0[yOff + r * ldy + j] = random.nextFloat() * 4 - 2;
                }
            }
            scales = new float[segments];
            a = new MemorySegment[segments];
            bt = new MemorySegment[segments];
            aValues = new float[segments][];
            bValues = new float[segments][];
            for (int s = 0; s < segments; s++) {
                int r = ranks[s];
                if (r == 0) {
                    continue;
                }
                scales[s] = 0.5f + s;
                aValues[s] = new float[r * in];
                bValues[s] = new float[out * r];
                float[] bT = new float[r * out];
                for (int i = 0; i < aValues[s].length; i++) {
                    aValues[s][i] = random.nextFloat() * 2 - 1;
                }
                for (int o = 0; o < out; o++) {
                    for (int k = 0; k < r; k++) {
                        float v = random.nextFloat() * 2 - 1;
                        bValues[s][o * r + k] = v;
                        bT[k * out + o] = v;
                    }
                }
                a[s] = arena.copyOf(aValues[s], aValues[s].length).segment();
                bt[s] = arena.copyOf(bT, bT.length).segment();
            }
        }

        int segmentOf(int row) {
            int s = 0;
            while (starts[s + 1] <= row) {
                s++;
            }
            return s;
        }

        float[] run(Kernels k) {
            int maxT = 1;
            for (int s = 0; s < ranks.length; s++) {
                maxT = Math.max(maxT, (starts[s + 1] - starts[s]) * ranks[s]);
            }
            Tensor xs = arena.copyOf(x, x.length);
            Tensor ys = arena.copyOf(y0, y0.length);
            Tensor t = arena.copyOf(new float[maxT], maxT);
            k.sgmv(ranks.length, starts, in, out, xs.segment(), xOff, ldx, a, bt, ranks, scales, ys.segment(), yOff,
                    ldy, t.segment(), 0);
            return ys.toFloatArray();
        }

        /** {value, magnitude} of y[row, j] by the definition, in double. */
        double[] reference(int row, int j) {
            int s = segmentOf(row);
            int r = ranks[s];
            double y = y0[yOff + row * ldy + j];
            double mag = Math.abs(y);
            for (int k = 0; k < r; k++) {
                double t = 0;
                for (int i = 0; i < in; i++) {
                    t += (double) x[xOff + row * ldx + i] * aValues[s][k * in + i];
                }
                t *= scales[s];
                y += t * bValues[s][j * r + k];
                mag += Math.abs(t * bValues[s][j * r + k]);
            }
            return new double[] {y, mag};
        }
    }
}
