package dev.graft.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code ./mvnw} finds a JDK 25 the way {@code samples/graft} does ({@code .mvn/jdk25.sh}), as on a fresh machine
 * where the {@code java} on the PATH is older: run with the system PATH and no JAVA_HOME, or a JAVA_HOME that is
 * not a JDK 25, Maven still reports a Java 25+ runtime.
 */
class JdkDiscoveryTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize(); // surefire runs in the module directory

    @Test
    void mvnwRunsOnAJdk25WithoutJavaHomeAndTheSystemPath() throws Exception {
        String out = run(List.of(ROOT.resolve("mvnw").toString(), "-v"), Map.of());
        assertThat(out).containsPattern("Java version: (2[5-9]|[3-9][0-9])");
    }

    @Test
    void aJavaHomeThatIsNotAJdk25IsPassedOver() throws Exception {
        Path notAJdk = Files.createTempDirectory("not-a-jdk");
        try {
            String out = run(List.of(ROOT.resolve("mvnw").toString(), "-v"), Map.of("JAVA_HOME", notAJdk.toString()));
            assertThat(out).containsPattern("Java version: (2[5-9]|[3-9][0-9])");
        } finally {
            Files.delete(notAJdk);
        }
    }

    @Test
    void theLaunchersAndCiShareTheDiscoveryScript() throws IOException {
        for (String script : List.of("mvnw", "samples/graft", "samples/notebook", ".ci/run")) {
            assertThat(Files.readString(ROOT.resolve(script))).as(script).contains(".mvn/jdk25.sh");
        }
    }

    /** Runs {@code command} in the project root with the system PATH only, JAVA_HOME unset unless in {@code env}. */
    private static String run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("PATH", "/usr/local/bin:/usr/bin:/bin");
        pb.environment().putAll(env);
        Path log = Files.createTempFile("mvnw", ".log");
        try {
            Process p = pb.redirectOutput(log.toFile()).start();
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("mvnw finished").isTrue();
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            return out;
        } finally {
            Files.delete(log);
        }
    }
}
