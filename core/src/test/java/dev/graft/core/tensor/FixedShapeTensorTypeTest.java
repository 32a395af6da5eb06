package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.arrow.vector.extension.InvalidExtensionMetadataException;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FixedShapeTensorTypeTest {
    private static final ArrowType.FixedSizeList SIX = new ArrowType.FixedSizeList(6);

    @Test
    void isRegisteredWithArrow() {
        FixedShapeTensorType.ensureRegistered();
        assertThat(ExtensionTypeRegistry.lookup("arrow.fixed_shape_tensor")).isInstanceOf(FixedShapeTensorType.class);
    }

    @Test
    void serializesTheSpecsJson() {
        assertThat(FixedShapeTensorType.of(2, 3).serialize()).isEqualTo("{\"shape\":[2,3]}");
        assertThat(new FixedShapeTensorType(new long[] {2, 3}, List.of("H", "W"), new int[] {1, 0}).serialize())
                .isEqualTo("{\"shape\":[2,3],\"dim_names\":[\"H\",\"W\"],\"permutation\":[1,0]}");
        assertThat(FixedShapeTensorType.of().serialize()).isEqualTo("{\"shape\":[]}");
    }

    @Test
    void storageIsAFixedSizeListOfTheElementCount() {
        assertThat(FixedShapeTensorType.of(2, 3, 4).storageType()).isEqualTo(new ArrowType.FixedSizeList(24));
        assertThat(FixedShapeTensorType.of().listSize()).isEqualTo(1);
        assertThat(FixedShapeTensorType.of(0, 5).listSize()).isZero();
    }

    @Test
    void parsesWhatItWrites() {
        FixedShapeTensorType t = new FixedShapeTensorType(new long[] {2, 3}, List.of("rows", "cols"), new int[] {0, 1});
        FixedShapeTensorType back = FixedShapeTensorType.parse(SIX, t.serialize());
        assertThat(back).isEqualTo(t).hasSameHashCodeAs(t);
        assertThat(back.dimNames()).contains(List.of("rows", "cols"));
        assertThat(back.isIdentityPermutation()).isTrue();
        assertThat(back).isNotEqualTo(FixedShapeTensorType.of(2, 3)); // names are part of the type
    }

    @Test
    void parsesMetadataWrittenByOthers() {
        FixedShapeTensorType t = FixedShapeTensorType.parse(new ArrowType.FixedSizeList(100 * 200 * 500),
                "{ \"shape\": [100, 200, 500], \"permutation\": [2, 0, 1] }");
        assertThat(t.shape()).containsExactly(100, 200, 500);
        assertThat(t.logicalShape()).containsExactly(500, 100, 200); // the spec's own example
        assertThat(t.isIdentityPermutation()).isFalse();
        // arrow-rs has written the key as "permutations"
        assertThat(FixedShapeTensorType.parse(SIX, "{\"shape\":[2,3],\"permutations\":[1,0]}").permutation())
                .hasValueSatisfying(p -> assertThat(p).containsExactly(1, 0));
        assertThat(FixedShapeTensorType.parse(SIX, "{\"shape\":[2,3],\"dim_names\":null}").dimNames()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "not json", "[2,3]", "{}", "{\"shape\":\"2x3\"}", "{\"shape\":[2,-3]}", "{\"shape\":[2.5,3]}",
        "{\"shape\":[6]} trailing", "{\"shape\":[2,3],\"dim_names\":[\"a\"]}", "{\"shape\":[2,3],\"dim_names\":[1,2]}",
        "{\"shape\":[2,3],\"permutation\":[0,0]}", "{\"shape\":[2,3],\"permutation\":[0,2]}",
        "{\"shape\":[2,3],\"permutation\":[0]}", "{\"shape\":[99999999999,99999999999]}"
    })
    void rejectsInvalidMetadataClearly(String metadata) {
        assertThatThrownBy(() -> FixedShapeTensorType.parse(SIX, metadata))
                .isInstanceOf(InvalidExtensionMetadataException.class)
                .hasMessageContaining("arrow.fixed_shape_tensor");
    }

    @Test
    void rejectsAShapeThatDisagreesWithTheStorage() {
        assertThatThrownBy(() -> FixedShapeTensorType.parse(SIX, "{\"shape\":[2,4]}"))
                .isInstanceOf(InvalidExtensionMetadataException.class)
                .hasMessageContaining("[2, 4]").hasMessageContaining("8 elements").hasMessageContaining("6 per row");
        assertThatThrownBy(() -> FixedShapeTensorType.parse(new ArrowType.Int(32, true), "{\"shape\":[6]}"))
                .isInstanceOf(InvalidExtensionMetadataException.class).hasMessageContaining("FixedSizeList");
    }

    @Test
    void constructorValidates() {
        assertThatThrownBy(() -> FixedShapeTensorType.of(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FixedShapeTensorType.of(1 << 16, 1 << 16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FixedSizeList");
        assertThatThrownBy(() -> new FixedShapeTensorType(new long[] {2}, List.of("a", "b"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dim_names");
        assertThatThrownBy(() -> new FixedShapeTensorType(new long[] {2, 3}, null, new int[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("permutation");
    }

    @Test
    void shapeIsCopiedInAndOut() {
        long[] shape = {2, 3};
        FixedShapeTensorType t = FixedShapeTensorType.of(shape);
        shape[0] = 7;
        t.shape()[1] = 9;
        assertThat(t.shape()).containsExactly(2, 3);
    }
}
