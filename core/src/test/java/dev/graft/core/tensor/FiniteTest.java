package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class FiniteTest {

    /** Positions around the block boundaries and at both ends, in arrays that are not a multiple of the block. */
    private static final int N = 3 * Finite.BLOCK + 17;

    @ParameterizedTest(name = "bad value {0}")
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void findsTheFirstNonFiniteValueWhereverItIs(float bad) {
        float[] values = finiteValues();
        try (TensorArena arena = TensorArena.root("finite-test")) {
            for (int at : new int[] {0, 1, Finite.BLOCK - 1, Finite.BLOCK, 2 * Finite.BLOCK + 5, N - 1}) {
                float[] v = values.clone();
                v[at] = bad;
                v[N - 1] = v[N - 1] == bad ? bad : Float.NaN; // a later bad value must not be the one reported
                int expected = at;
                assertThat(Finite.firstNonFinite(v)).as("array, bad at %d", at).isEqualTo(expected);
                assertThat(Finite.firstNonFinite(v, 0, at)).as("range before it").isEqualTo(-1);
                Tensor t = arena.copyOf(v, new long[] {N});
                assertThat(Finite.firstNonFinite(t)).as("tensor, bad at %d", at).isEqualTo(expected);
                assertThat(Finite.firstNonFinite(v, at + 1, N)).as("range after it").isEqualTo(at + 1 < N ? N - 1 : -1);
            }
        }
    }

    @Test
    void extremeButFiniteValuesPass() {
        float[] v = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0f, 0f, Float.MIN_NORMAL, 1e-45f};
        assertThat(Finite.firstNonFinite(v)).isEqualTo(-1);
        assertThat(Finite.firstNonFinite(finiteValues())).isEqualTo(-1);
        assertThat(Finite.firstNonFinite(new float[0])).isEqualTo(-1);
        try (TensorArena arena = TensorArena.root("finite-test")) {
            assertThat(Finite.firstNonFinite(arena.copyOf(v, new long[] {v.length}))).isEqualTo(-1);
        }
    }

    @Test
    void everyNaNPayloadIsFound() {
        float[] v = finiteValues();
        v[100] = Float.intBitsToFloat(0xffc00001); // a negative quiet NaN with a payload
        assertThat(Finite.firstNonFinite(v)).isEqualTo(100);
        v[50] = Float.intBitsToFloat(0x7f800001); // a signalling NaN
        assertThat(Finite.firstNonFinite(v)).isEqualTo(50);
    }

    @Test
    void onlyFloatTensorsAreChecked() {
        try (TensorArena arena = TensorArena.root("finite-test")) {
            Tensor ints = arena.allocate(DType.I32, 4);
            assertThatThrownBy(() -> Finite.firstNonFinite(ints)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("only f32");
        }
    }

    @Test
    void coordinatesOfARowMajorIndex() {
        assertThat(Finite.coordinates(7, new long[] {3, 4})).isEqualTo("[1, 3]");
        assertThat(Finite.coordinates(0, new long[] {5})).isEqualTo("[0]");
        assertThat(Finite.coordinates(23, new long[] {2, 3, 4})).isEqualTo("[1, 2, 3]");
    }

    @Test
    void theOutputExceptionNamesTheInputAndCanBeRetargeted() {
        NonFiniteOutputException e = new NonFiniteOutputException("the embedding", 2, "I lost   my\ncard " + "x".repeat(100), 17,
                Float.NaN);
        assertThat(e).hasMessageStartingWith("the embedding of input 2 (\"I lost my card xxx")
                .hasMessageContaining("…\") is NaN (element 17)");
        NonFiniteOutputException at = e.atInput(34).at("texts.txt:35", 34);
        assertThat(at.input()).isEqualTo(34);
        assertThat(at).hasMessageStartingWith("texts.txt:35: the embedding of \"I lost my card");
        assertThat(at.withOutput("head 'intent'")).hasMessageStartingWith("texts.txt:35: head 'intent' of \"I lost");
    }

    private static float[] finiteValues() {
        Random r = new Random(11);
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-30, 30)));
        }
        return v;
    }
}
