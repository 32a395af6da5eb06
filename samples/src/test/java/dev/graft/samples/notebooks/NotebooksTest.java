package dev.graft.samples.notebooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every notebook in samples/notebooks through JShell, snippet by snippet, and fails on the first snippet
 * that does not compile or throws — what a reader would hit running it.
 */
class NotebooksTest {
    static final Path NOTEBOOKS = Path.of(System.getProperty("maven.multiModuleProjectDirectory",
            Path.of("").toAbsolutePath().getParent().toString())).resolve("samples/notebooks");

    static Stream<Path> notebooks() throws IOException {
        Path dir = Files.isDirectory(NOTEBOOKS) ? NOTEBOOKS : Path.of("notebooks");
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".jsh")).sorted().toList();
            assertThat(all).as("notebooks in " + dir).isNotEmpty();
            return all.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("notebooks")
    void everyNotebookRunsWithoutAnError(Path notebook) throws IOException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        String source = Files.readAllLines(notebook).stream()
                .filter(l -> !l.startsWith("/")) // JShell commands such as /exit
                .collect(Collectors.joining("\n"));
        PrintStream systemOut = System.out;
        System.setOut(out); // the local execution engine runs snippets in this JVM: their System.out is ours
        try (JShell shell = JShell.builder().executionEngine("local").out(out).err(out).build()) {
            for (String entry : classPath.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    shell.addToClasspath(entry);
                }
            }
            SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
            String remaining = source;
            while (!remaining.isBlank()) {
                SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
                if (!info.completeness().isComplete()) {
                    fail(notebook.getFileName() + ": incomplete snippet at: " + remaining.strip().lines().findFirst().orElse(""));
                }
                for (SnippetEvent e : shell.eval(info.source())) {
                    if (e.exception() != null) {
                        fail(notebook.getFileName() + ": snippet threw " + e.exception() + "\n" + e.snippet().source()
                                + "\noutput so far:\n" + output.toString(StandardCharsets.UTF_8), e.exception());
                    }
                    if (e.status() == Snippet.Status.REJECTED) {
                        String why = shell.diagnostics(e.snippet()).map(d -> d.getMessage(null)).collect(Collectors.joining("; "));
                        fail(notebook.getFileName() + ": snippet does not compile: " + why + "\n" + e.snippet().source());
                    }
                }
                remaining = info.remaining();
            }
        } finally {
            System.setOut(systemOut);
        }
        assertThat(output.toString(StandardCharsets.UTF_8)).as(notebook.getFileName() + " printed something").isNotBlank();
    }
}
