package dev.graft.core.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.ScalarMath;
import dev.graft.core.testing.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The vector math of {@link VectorMath} lane by lane: exp within 1 ulp of {@code Math.exp} (exactly 0 below the
 * normal range and for -∞, NaN kept), the softmax row sum equal to a scalar replica of the fixed butterfly order,
 * GELU within 1e-6 of exact (one ulp beyond |x| = 8), tanh within 3 ulp of {@code Math.tanh}, relu exact.
 */
class VectorMathTest {
    private static final int L = VectorMath.L;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private static float[] grid(float from, float to, float step) {
        int n = (int) ((to - from) / step) + 1;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = from + i * step;
        }
        return xs;
    }

    /** xs padded with zeros to whole vectors, so that every value goes through the vector lanes. */
    private static float[] padded(float[] xs) {
        return Arrays.copyOf(xs, (xs.length + L - 1) / L * L);
    }

    /** exp of every value through {@link VectorMath#expRow} (scale 1, max 0); returns the values, then the sum. */
    private static float[] exp(float[] xs, int[] keep) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * xs.length, 64);
            MemorySegment.copy(xs, 0, x, F, 0, xs.length);
            MemorySegment mask = null;
            if (keep != null) {
                mask = arena.allocate(4L * keep.length, 64);
                MemorySegment.copy(keep, 0, mask, ValueLayout.JAVA_INT, 0, keep.length);
            }
            float sum = mask == null ? VectorMath.expRow(xs.length, x, 0, 1f, 0f)
                    : VectorMath.expRowMasked(xs.length, x, 0, 1f, 0f, mask, 0);
            float[] out = Arrays.copyOf(x.toArray(F), xs.length + 1);
            out[xs.length] = sum;
            return out;
        }
    }

    @Test
    void expIsWithinOneUlpOfMathExp() {
        float[] xs = padded(grid(-87.3f, 88f, 1.7e-3f));
        float[] got = exp(xs, null);
        int worst = 0;
        for (int i = 0; i < xs.length; i++) {
            int rounded = Float.floatToRawIntBits((float) Math.exp(xs[i])); // positive floats: bits order as values
            worst = Math.max(worst, Math.abs(Float.floatToRawIntBits(got[i]) - rounded));
        }
        assertThat(worst).as("floats between exp and the correctly rounded Math.exp").isLessThanOrEqualTo(1);
    }

    @Test
    void expOfSpecialValues() {
        float[] xs = padded(new float[] {Float.NEGATIVE_INFINITY, -1e30f, -88f, -87.4f, Float.NaN, 0f, -0f,
            Float.MIN_VALUE, 1f, 88f, 100f, Float.POSITIVE_INFINITY});
        float[] got = exp(xs, null);
        assertThat(got[0]).as("exp(-inf)").isEqualTo(0f);
        assertThat(got[1]).isEqualTo(0f);
        assertThat(got[2]).as("below the normal range").isEqualTo(0f);
        assertThat(got[3]).isEqualTo(0f);
        assertThat(got[4]).isNaN();
        assertThat(got[5]).isEqualTo(1f);
        assertThat(got[6]).isEqualTo(1f);
        assertThat(got[7]).isEqualTo(1f);
        assertThat(Math.abs(got[8] - Math.E)).isLessThanOrEqualTo(Math.ulp((float) Math.E));
        assertThat(Math.abs(got[9] - Math.exp(88))).isLessThanOrEqualTo(Math.ulp((float) Math.exp(88)));
        assertThat(got[10]).as("saturates").isEqualTo(got[9]);
        assertThat(got[11]).isEqualTo(got[9]);
    }

    @Test
    void expRowSumsInTheFixedButterflyOrder() {
        for (int cols : new int[] {L, 3 * L, 7 * L + 5, 100, L - 1}) {
            float[] xs = new float[cols];
            int[] keep = new int[cols];
            java.util.SplittableRandom random = new java.util.SplittableRandom(cols);
            for (int i = 0; i < cols; i++) {
                xs[i] = (float) random.nextDouble(-20, 0);
                keep[i] = random.nextInt(4) == 0 ? 0 : 1;
            }
            for (int[] mask : new int[][] {null, keep}) {
                float[] got = exp(xs, mask);
                float[] lanes = new float[L];
                int full = cols / L * L;
                for (int j = 0; j < full; j++) {
                    lanes[j % L] += got[j]; // each lane accumulates its column left to right
                }
                for (int d = L / 2; d >= 1; d /= 2) { // the butterfly: lane i += lane i ^ d
                    float[] next = new float[L];
                    for (int i = 0; i < L; i++) {
                        next[i] = lanes[i] + lanes[i ^ d];
                    }
                    lanes = next;
                }
                float tail = 0f;
                for (int j = full; j < cols; j++) {
                    tail += got[j];
                }
                assertThat(got[cols]).as("sum of %s columns, mask %s", cols, mask != null).isEqualTo(lanes[0] + tail);
                for (int j = 0; j < cols; j++) {
                    if (mask != null && mask[j] == 0) {
                        assertThat(got[j]).isEqualTo(0f);
                    } else {
                        assertThat(Math.abs(Float.floatToRawIntBits(got[j]) - Float.floatToRawIntBits((float) Math.exp(xs[j])))).isLessThanOrEqualTo(1);
                    }
                }
            }
        }
    }

    @Test
    void geluIsWithinOneMillionthOfExact() {
        float[] xs = grid(-25f, 25f, 2.5e-4f);
        float[] got = xs.clone();
        VectorMath.gelu(got, 0, got.length);
        double worst = 0;
        for (int i = 0; i < xs.length; i++) {
            double exact = Numerics.gelu(xs[i]);
            worst = Math.max(worst, Math.abs(got[i] - exact) / Math.max(1e-6, Math.ulp((float) exact)));
        }
        assertThat(worst).as("error in units of max(1e-6, ulp)").isLessThanOrEqualTo(1.0);
    }

    @Test
    void geluOnSegmentsMatchesGeluOnArrays() {
        float[] xs = grid(-10f, 10f, 1.3e-3f);
        float[] viaArray = xs.clone();
        VectorMath.gelu(viaArray, 0, viaArray.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * xs.length, 64);
            MemorySegment.copy(xs, 0, x, F, 0, xs.length);
            MemorySegment out = arena.allocate(4L * xs.length, 64);
            VectorMath.gelu(xs.length, x, 0, out, 0);
            assertThat(out.toArray(F)).isEqualTo(viaArray);
        }
    }

    @Test
    void geluOfNonFiniteLanes() {
        float[] got = padded(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -1e30f, 1e30f});
        VectorMath.gelu(got, 0, got.length);
        assertThat(got[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(got[1]).isZero();
        assertThat(got[2]).isNaN();
        assertThat(got[3]).isZero();
        assertThat(got[4]).isEqualTo(1e30f);
    }

    @Test
    void tanhAndReluMatchTheScalarEpilogue() {
        float[] xs = padded(grid(-12f, 12f, 1e-3f));
        float[] small = padded(grid(-1e-3f, 1e-3f, 1e-7f)); // relative accuracy near 0
        for (float[] grid : new float[][] {xs, small}) {
            float[] tanh = grid.clone();
            VectorMath.tanh(tanh, 0, tanh.length);
            float[] relu = grid.clone();
            VectorMath.relu(relu, 0, relu.length);
            for (int i = 0; i < grid.length; i++) {
                float t = ScalarMath.apply(Activation.TANH, grid[i]);
                assertThat(Math.abs(tanh[i] - t)).as("tanh(%s)", grid[i]).isLessThanOrEqualTo(3 * Math.ulp(t));
                assertThat(relu[i]).isEqualTo(ScalarMath.apply(Activation.RELU, grid[i]));
            }
        }
        float[] special = padded(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 1e30f});
        VectorMath.tanh(special, 0, special.length);
        assertThat(special[0]).isNaN();
        assertThat(special[1]).isEqualTo(1f);
        assertThat(special[2]).isEqualTo(-1f);
        assertThat(Float.floatToRawIntBits(special[3])).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(special[4]).isEqualTo(1f);
    }
}
