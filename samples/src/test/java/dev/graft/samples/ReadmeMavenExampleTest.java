package dev.graft.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's "Use Graft from Maven" section shows exactly the consumer project that the build compiles and runs
 * (samples/src/it/maven-consumer, by the maven-invoker-plugin during verify): its pom.xml, its Main.java, and the
 * JVM flags, which are the root pom's.
 */
class ReadmeMavenExampleTest {
    private static final Path ROOT = Path.of("..");  // surefire runs in the module directory
    private static final Path CONSUMER = Path.of("src", "it", "maven-consumer");

    @Test
    void thePomIsTheConsumersPom() throws IOException {
        assertThat(block("xml", "<project")).isEqualTo(Files.readString(CONSUMER.resolve("pom.xml")).strip());
    }

    @Test
    void theMainIsTheConsumersMain() throws IOException {
        assertThat(block("java", "package com.example;"))
                .isEqualTo(Files.readString(CONSUMER.resolve("src/main/java/com/example/Main.java")).strip());
    }

    @Test
    void theFlagsAreTheBuildsFlagsAndTheConsumerRunsWithThem() throws IOException {
        Matcher m = Pattern.compile("<graft\\.jvm\\.flags>(.*?)</graft\\.jvm\\.flags>", Pattern.DOTALL)
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertThat(m.find()).isTrue();
        String flags = m.group(1).trim();
        assertThat(section()).contains("MAVEN_OPTS=\"" + flags + "\"");
        assertThat(Files.readString(CONSUMER.resolve("invoker.properties"))).contains("invoker.mavenOpts.1 = " + flags);
    }

    @Test
    void theConsumerUsesThisBuildsVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>graft-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertThat(m.find()).isTrue();
        assertThat(Files.readString(CONSUMER.resolve("pom.xml")))
                .contains("<artifactId>graft-bom</artifactId>\n        <version>" + m.group(1) + "</version>");
    }

    /** The README text from "## Use Graft from Maven" to the next level-2 heading. */
    private static String section() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("\n## Use Graft from Maven");
        assertThat(start).as("README section 'Use Graft from Maven'").isPositive();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    /** The one fenced block of {@code language} in the section that starts with {@code start}. */
    private static String block(String language, String start) throws IOException {
        Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(section());
        List<String> found = new ArrayList<>();
        while (m.find()) {
            if (m.group(1).strip().startsWith(start) || m.group(1).strip().startsWith("<?xml") && start.equals("<project")) {
                found.add(m.group(1).strip());
            }
        }
        assertThat(found).as("```%s blocks starting with %s", language, start).hasSize(1);
        return found.getFirst();
    }
}
