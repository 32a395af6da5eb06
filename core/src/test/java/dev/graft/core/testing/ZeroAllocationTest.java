package dev.graft.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;

/**
 * The zero-allocation check can fail: in its C2-only child JVM a call that allocates 64 bytes is reported with its
 * bytes per call, one that allocates nothing passes (once compiled, escape analysis removes the box that an
 * interpreted call would allocate), an exception is reported as such, and a method that is never compiled is named.
 */
class ZeroAllocationTest {
    /** What the cases write to, so that no call is dead code. */
    static volatile Object sink;
    static long counter;

    /** The cases, set up in the child JVM. */
    static final class Cases implements Supplier<List<ZeroAllocation.Case>> {
        @Override
        public List<ZeroAllocation.Case> get() {
            return List.of(
                    ZeroAllocation.Case.of("allocates 64 bytes", 1000, () -> sink = new byte[48]),
                    ZeroAllocation.Case.of("box that escape analysis removes", 1000, () -> counter += Long.valueOf(counter).hashCode() & 1),
                    ZeroAllocation.Case.of("throws", 1, () -> {
                        throw new IllegalStateException("broken kernel");
                    }),
                    ZeroAllocation.Case.of("names a method that never runs", 500, () -> counter++)
                            .compiled(ZeroAllocationTest.class.getName() + ".neverCalled"));
        }
    }

    static void neverCalled() {
        counter--;
    }

    @Test
    void reportsAllocationErrorsAndMissingCompilationAndPassesWhatAllocatesNothing() throws Throwable {
        Map<String, DynamicTest> tests = ZeroAllocation.inForkedJvm(Cases.class)
                .collect(Collectors.toMap(DynamicTest::getDisplayName, Function.identity()));
        assertThat(tests).containsOnlyKeys("allocates 64 bytes", "box that escape analysis removes", "throws",
                "names a method that never runs");
        assertThatThrownBy(() -> tests.get("allocates 64 bytes").getExecutable().execute())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("bytes allocated on the calling thread by 1000 warm calls (64.00 per call)")
                .hasMessageContaining("C2-only JVM (-Xbatch)")
                .hasMessageContaining("nothing compiled or deoptimized during the measured calls");
        tests.get("box that escape analysis removes").getExecutable().execute();
        assertThatThrownBy(() -> tests.get("throws").getExecutable().execute())
                .isInstanceOf(AssertionError.class).hasMessageContaining("broken kernel");
        assertThatThrownBy(() -> tests.get("names a method that never runs").getExecutable().execute())
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("no C2 code yet for [dev.graft.core.testing.ZeroAllocationTest.neverCalled]");
    }
}
