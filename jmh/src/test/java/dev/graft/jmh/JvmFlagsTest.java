package dev.graft.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The flags the benchmarks hand to their JMH forks are exactly the root pom's {@code graft.jvm.flags}. */
class JvmFlagsTest {
    @Test
    void matchTheRootPom() throws Exception {
        Path pom = Path.of("..", "pom.xml"); // surefire runs in the module directory
        Matcher m = Pattern.compile("<graft\\.jvm\\.flags>(.*?)</graft\\.jvm\\.flags>", Pattern.DOTALL)
                .matcher(Files.readString(pom));
        assertThat(m.find()).as("graft.jvm.flags in %s", pom.toAbsolutePath()).isTrue();
        assertThat(JvmFlags.ALL).isEqualTo(m.group(1).trim().replaceAll("\\s+", " "));
    }
}
