package dev.graft.core.kernels.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * ({@link DeterminismProbe}) from a child JVM that only interprets ({@code -Xint}: every Vector API call is its
 * Java fallback), one with C1 only, and this JVM after warm-up (C2, intrinsics), and from several threads at once.
 */
class DeterminismTest {

    @Test
    void interpretedC1AndC2GiveTheSameBits() throws Exception {
        Map<String, Long> compiled = null;
        for (int i = 0; i < 400; i++) { // enough calls for C2 to compile the kernels with their intrinsics
            compiled = DeterminismProbe.run();
        }
        Map<String, Long> interpreted = child("-Xint", 1);
        Map<String, Long> c1 = child("-XX:TieredStopAtLevel=1", 200);
        assertThat(interpreted).as("-Xint vs C2").isEqualTo(compiled);
        assertThat(c1).as("C1 vs C2").isEqualTo(compiled);
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
                for (Map<String, Long> prints : result.get(5, TimeUnit.MINUTES)) {
                    assertThat(prints).isEqualTo(reference);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** The probe's fingerprints from a child JVM with {@code mode}, after {@code repeats} runs. */
    private static Map<String, Long> child(String mode, int repeats) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, mode, "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DeterminismProbe.class.getName(), Integer.toString(repeats))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        Map<String, Long> prints = new LinkedHashMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                String[] parts = line.split(" ");
                if (parts.length == 2) {
                    prints.put(parts[0], Long.parseUnsignedLong(parts[1], 16));
                }
            }
        }
        assertThat(process.waitFor(10, TimeUnit.MINUTES)).as("child JVM %s finished", mode).isTrue();
        assertThat(process.exitValue()).as("child JVM %s exit code", mode).isZero();
        return prints;
    }
}
