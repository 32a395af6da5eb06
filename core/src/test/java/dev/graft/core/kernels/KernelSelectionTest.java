package dev.graft.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.kernels.vector.VectorKernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Surefire runs with the library's JVM flags (the incubator module added, C2 on), so the Vector API is usable. */
class KernelSelectionTest {
    private static final String PROPERTY = "graft.kernels";
    private String saved;

    @BeforeEach
    void saveProperty() {
        saved = System.getProperty(PROPERTY);
        System.clearProperty(PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (saved == null) {
            System.clearProperty(PROPERTY);
        } else {
            System.setProperty(PROPERTY, saved);
        }
    }

    @Test
    void choosesTheVectorKernelsUnderTheLibraryFlags() {
        assertThat(KernelSelection.vectorUnavailableReason()).isNull();
        try (Kernels k = Kernels.create(2)) {
            assertThat(k).isInstanceOf(VectorKernels.class);
            assertThat(k.name()).matches("vector-\\d+");
            assertThat(k.threads()).isEqualTo(2);
        }
    }

    @Test
    void thePropertyForcesScalarAndTheReasonNamesIt() {
        System.setProperty(PROPERTY, "scalar");
        assertThat(KernelSelection.vectorUnavailableReason()).contains("-Dgraft.kernels=scalar");
        try (Kernels k = Kernels.create(2)) {
            assertThat(k).isInstanceOf(ScalarKernels.class);
            assertThat(k.name()).isEqualTo("scalar");
            assertThat(k.threads()).isEqualTo(2);
        }
        System.setProperty(PROPERTY, "SCALAR");
        assertThat(KernelSelection.vectorUnavailableReason()).isNotNull();
        System.setProperty(PROPERTY, "vector"); // anything else leaves the choice to the JVM's capabilities
        assertThat(KernelSelection.vectorUnavailableReason()).isNull();
    }

    @Test
    void rejectsFewerThanOneThread() {
        assertThatThrownBy(() -> Kernels.create(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads must be >= 1");
    }
}
