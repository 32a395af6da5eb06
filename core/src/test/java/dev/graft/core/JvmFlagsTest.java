package dev.graft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A user's JVM started without Graft's flags: a child JVM runs {@link JvmFlagsProbe} (open an arena, allocate) with
 * some flags left out, and must fail before Arrow does, with the exact missing flags and where to add them.
 */
class JvmFlagsTest {
    @Test
    void theConstantsAreTheRootPomsFlags() throws IOException {
        Matcher m = Pattern.compile("<graft\\.jvm\\.flags>(.*?)</graft\\.jvm\\.flags>", Pattern.DOTALL)
                .matcher(Files.readString(Path.of("..", "pom.xml"))); // surefire runs in the module directory
        assertThat(m.find()).isTrue();
        assertThat(JvmFlags.ALL).isEqualTo(m.group(1).trim().replaceAll("\\s+", " "));
    }

    @Test
    void surefireHasEveryFlag() {
        assertThat(JvmFlags.missing()).isEmpty();
    }

    @Test
    void withEveryFlagTheArenaOpens() throws Exception {
        Result r = run(JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS, JvmFlags.UNSAFE_MEMORY);
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).contains("arena ok, ").contains("Tensor(f32[2, 3]");
        assertThat(r.err).doesNotContain("sun.misc.Unsafe", "restricted method"); // only the incubator-module note
    }

    @Test
    void withoutAnyFlagTheErrorListsAllOfThemAndWhereTheyGo() throws Exception {
        Result r = run();
        assertThat(r.exit).isNotZero();
        assertThat(r.out).doesNotContain("arena ok");
        assertThat(r.err).contains("IllegalStateException: Graft cannot start")
                .contains("started without 3 flags")
                .contains("    " + JvmFlags.ADD_OPENS + "\n", "    " + JvmFlags.NATIVE_ACCESS + "\n",
                        "    " + JvmFlags.UNSAFE_MEMORY + "\n")
                .contains("and " + JvmFlags.ADD_MODULES + " is missing too (optional")
                .contains("MAVEN_OPTS=\"" + JvmFlags.ALL + "\"", "<argLine>" + JvmFlags.ALL + "</argLine>",
                        "JDK_JAVA_OPTIONS=\"" + JvmFlags.ALL + "\"", "docs/JVM-FLAGS.md")
                .doesNotContain("ExceptionInInitializerError");
    }

    @Test
    void addOpensAloneIsNotEnoughAndTheErrorNamesOnlyWhatIsMissing() throws Exception {
        Result r = run(JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS);
        assertThat(r.exit).isNotZero();
        assertThat(r.err).contains("started without a flag that Arrow memory needs")
                .contains("    " + JvmFlags.UNSAFE_MEMORY + "\n")
                .contains("MAVEN_OPTS=\"" + JvmFlags.UNSAFE_MEMORY + "\"")
                .doesNotContain("    " + JvmFlags.ADD_OPENS + "\n", "is missing too");
    }

    @Test
    void flagsFromJdkJavaOptionsCount() throws Exception {
        Result r = runWithEnv(JvmFlags.ALL, List.of());
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).contains("arena ok");
    }

    @Test
    void withoutOnlyTheVectorModuleGraftStarts() throws Exception {
        Result r = run(JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS, JvmFlags.UNSAFE_MEMORY);
        assertThat(r.exit).as(r.err).isZero();
        assertThat(r.out).contains("arena ok");
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... flags) throws Exception {
        return runWithEnv(null, List.of(flags));
    }

    private static Result runWithEnv(String jdkJavaOptions, List<String> flags) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), JvmFlagsProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        if (jdkJavaOptions != null) {
            pb.environment().put("JDK_JAVA_OPTIONS", jdkJavaOptions);
        }
        Path out = Files.createTempFile("graft-flags", ".out");
        Path err = Files.createTempFile("graft-flags", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("child JVM finished").isTrue();
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
