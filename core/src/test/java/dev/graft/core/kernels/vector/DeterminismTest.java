package dev.graft.core.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.core.testing.ForkedJvm;
import dev.graft.core.testing.JitMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels give the same bits however the JIT compiled them: fingerprints of every kernel's output
 * ({@link DeterminismProbe}) from child JVMs forced into each execution mode ({@link JitMode}: {@code -Xint}, where
 * every Vector API call is its Java fallback; C1 only; C2 only, with the intrinsics), each verified in the child to
 * have run the kernels in that mode, from this JVM in whatever state its JIT is, and from several threads at once.
 */
class DeterminismTest {

    @Test
    void interpretedC1AndC2GiveTheSameBits() throws Exception {
        Map<String, Long> c2 = child(JitMode.C2);
        Map<String, Long> c1 = child(JitMode.C1);
        Map<String, Long> interpreted = child(JitMode.INTERPRETED);
        assertThat(c2).hasSize(DeterminismProbe.run().size());
        assertThat(interpreted).as("-Xint vs C2").isEqualTo(c2);
        assertThat(c1).as("C1 vs C2").isEqualTo(c2);
        assertThat(DeterminismProbe.run()).as("this JVM vs C2").isEqualTo(c2);
    }

    @Test
    void manyThreadsGiveTheSameBits() throws Exception {
        Map<String, Long> reference = DeterminismProbe.run();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Map<String, Long>>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(threads.submit(() -> {
                    List<Map<String, Long>> prints = new ArrayList<>();
                    for (int i = 0; i < 30; i++) {
                        prints.add(DeterminismProbe.run());
                    }
                    return prints;
                }));
            }
            for (Future<List<Map<String, Long>>> result : results) {
                for (Map<String, Long> prints : result.get(20, TimeUnit.MINUTES)) {
                    assertThat(prints).isEqualTo(reference);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * The probe's fingerprints from a child JVM in {@code mode}, after it verified that its kernels run in that mode.
     * Graft's compile thresholds are scaled down (any compiled code must give the same bits; young profiles included).
     */
    private static Map<String, Long> child(JitMode mode) throws Exception {
        List<String> options = DeterminismProbe.CALLERS.stream()
                .map(m -> "-XX:CompileCommand=exclude," + DeterminismProbe.class.getName() + "::" + m).toList();
        ForkedJvm.Output out = ForkedJvm.run(mode, 0.01, options, DeterminismProbe.class, mode.name());
        int verified = -1;
        for (int i = 0; i < out.lines().size(); i++) {
            if (out.lines().get(i).startsWith(DeterminismProbe.VERIFIED + " " + mode + " ")) {
                verified = i;
            }
        }
        assertThat(verified).as("the probe verified mode %s: %s", mode, out.describe()).isNotNegative();
        Map<String, Long> prints = new LinkedHashMap<>();
        for (String line : out.lines().subList(verified + 1, out.lines().size())) {
            String[] parts = line.split(" ");
            assertThat(parts).as("fingerprint line '%s' from mode %s", line, mode).hasSize(2);
            prints.put(parts[0], Long.parseUnsignedLong(parts[1], 16));
        }
        return prints;
    }
}
