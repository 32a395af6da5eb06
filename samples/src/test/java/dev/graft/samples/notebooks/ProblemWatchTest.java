package dev.graft.samples.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * How {@link ProblemWatch} reads the jshell tool's error stream, on text the tool wrote running broken notebooks
 * (the end-to-end runs are in {@link NotebooksIT}).
 */
class ProblemWatchTest {
    private final ByteArrayOutputStream shown = new ByteArrayOutputStream();
    private final ProblemWatch watch = new ProblemWatch(shown, StandardCharsets.UTF_8);

    private void toolWrites(String text) throws IOException {
        watch.write(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void passesEverythingThroughUnchanged() throws IOException {
        String text = "Warning:\nsomething deprecated\nfoo();\n^---^\nError:\n';' expected\nä ö ü\n";
        toolWrites(text);
        watch.close();

        assertThat(shown.toString(StandardCharsets.UTF_8)).isEqualTo(text);
    }

    @Test
    void anErrorAfterAWarningIsOneProblemNamedByItsReason() throws IOException {
        toolWrites("""
                Warning:
                runFinalization() in java.lang.Runtime has been deprecated and marked for removal
                Runtime.getRuntime().runFinalization();
                ^----------------------------------^
                Error:
                illegal start of expression
                        .map(x -> 2 * x).toList();
                        ^
                """);

        assertThat(watch.problems()).containsExactly("Error: illegal start of expression");
    }

    @Test
    void anExceptionWithItsCauseIsOneProblem() throws IOException {
        toolWrites("""
                Exception java.lang.IllegalStateException: outer
                      at (#3:1)
                Caused by: java.io.IOException: inner
                      at (#2:1)
                """);

        assertThat(watch.problems()).containsExactly("Exception java.lang.IllegalStateException: outer");

        toolWrites("Incomplete input: String s = \"\"\"\nabc\n");

        assertThat(watch.problems()).containsExactly("Exception java.lang.IllegalStateException: outer",
                "Incomplete input: String s = \"\"\"");
    }

    @Test
    void otherMessagesOfTheToolAreProblemsButWarningsAloneAreNot() throws IOException {
        toolWrites("Warning:\nunchecked call\nlist.add(x);\n^---------^\n");
        assertThat(watch.problems()).isEmpty();

        toolWrites("Incomplete input: void f() {\n");
        assertThat(watch.problems()).containsExactly("Incomplete input: void f() {");
    }

    @Test
    void aLastLineWithoutNewlineIsReadOnClose() throws IOException {
        toolWrites("File 'x.jsh' for 'jshell' is not found.");
        assertThat(watch.problems()).isEmpty();

        watch.close();

        assertThat(watch.problems()).containsExactly("File 'x.jsh' for 'jshell' is not found.");
    }

    @Test
    void aReportedProblemIsShownAsAnErrorBlockAndCounted() throws IOException {
        watch.report("show() cannot run until what it references is declared");
        toolWrites("Incomplete input: void f() {\n");

        assertThat(shown.toString(StandardCharsets.UTF_8))
                .startsWith("Error:\nshow() cannot run until what it references is declared\n");
        assertThat(watch.problems()).containsExactly("Error: show() cannot run until what it references is declared",
                "Incomplete input: void f() {");
    }

    @Test
    void theFilesAmongJshellArgumentsAreWhatIsNotAnOptionOrItsValue() {
        String[] args = {"--class-path", "a.jar:b.jar", "-R-Dx=1", "--feedback", "concise", "one.jsh", "-q", "two.jsh"};

        assertThat(NotebookRunner.files(args)).containsExactly("one.jsh", "two.jsh");
    }
}
