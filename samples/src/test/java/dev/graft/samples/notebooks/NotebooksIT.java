package dev.graft.samples.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every notebook in {@code samples/notebooks} as the README says — {@code samples/notebook
 * samples/notebooks/X.jsh} from the project root: the real launcher script and the real {@code jshell} tool in a
 * child process — and requires exit status 0 and no problem reported. Broken notebooks show that the check fails.
 *
 * <p>An integration test (failsafe, {@code ./mvnw verify}): the script needs the packaged samples jar and
 * {@code samples/target/graft.classpath}. It runs with {@code GRAFT_SKIP_BUILD=1}, so the script uses what this build
 * has just packaged and never starts a Maven build inside this one.
 */
class NotebooksIT {
    static final Path ROOT = Path.of(System.getProperty("graft.root", "..")).toAbsolutePath().normalize();
    static final Path SCRIPT = ROOT.resolve("samples/notebook");

    /** One run of {@code samples/notebook}: its exit status and everything it printed (stdout and stderr). */
    record Run(int status, String output) {
        /** The lines that report a problem: an Error: block, an exception, the launcher's summary. */
        List<String> problemLines() {
            return output.lines().filter(l -> l.equals("Error:") || l.startsWith("Exception ")
                    || l.startsWith("notebook: ")).toList();
        }
    }

    static Stream<Path> notebooks() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("samples/notebooks"))) {
            List<Path> all = s.filter(p -> p.toString().endsWith(".jsh")).sorted().toList();
            assertThat(all).as("notebooks in samples/notebooks").isNotEmpty();
            return all.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("notebooks")
    void everyNotebookRunsCleanlyAsTheReadmeSays(Path notebook) throws Exception {
        List<String> lines = Files.readAllLines(notebook).stream().filter(l -> !l.isBlank()).toList();
        assertThat(lines.getLast()).as(notebook + " ends by exiting, not in an interactive session").isEqualTo("/exit");

        Run run = notebook(ROOT.relativize(notebook).toString(), 30);

        assertThat(run.problemLines()).as("problems reported running " + notebook + ":\n" + run.output()).isEmpty();
        assertThat(run.status()).as("exit status of samples/notebook " + notebook + ":\n" + run.output()).isZero();
    }

    @Test
    void aLineStartingWithADotIsAnErrorAndFailsTheRun(@TempDir Path dir) throws Exception {
        Path broken = write(dir.resolve("dot.jsh"), """
                var doubled = java.util.List.of(1, 2, 3).stream()
                        .map(x -> 2 * x).toList();
                System.out.println("the lines after an error still run");
                /exit
                """);

        Run run = notebook(broken.toString(), 5);

        assertThat(run.output()).contains("Error:", ".map(x -> 2 * x).toList();", "the lines after an error still run",
                "notebook: 1 problem reported by jshell running " + broken);
        assertThat(run.status()).as(run.output()).isEqualTo(1);
    }

    @Test
    void aSnippetThatThrowsFailsTheRun(@TempDir Path dir) throws Exception {
        Path broken = write(dir.resolve("throws.jsh"), """
                System.out.println("before");
                Integer.parseInt("twelve");
                /exit
                """);

        Run run = notebook(broken.toString(), 5);

        assertThat(run.output()).contains("before",
                "Exception java.lang.NumberFormatException: For input string: \"twelve\"",
                "notebook: 1 problem reported by jshell running " + broken);
        assertThat(run.status()).as(run.output()).isEqualTo(1);
    }

    @Test
    void callingAMethodWithAnUndeclaredNameFailsTheRun(@TempDir Path dir) throws Exception {
        // The jshell tool accepts the method (the name may be declared later) and, running a file, says nothing
        // when it is called.
        Path broken = write(dir.resolve("unresolved.jsh"), """
                void show() { System.out.println(undeclared); }
                show();
                /exit
                """);

        Run run = notebook(broken.toString(), 5);

        assertThat(run.output()).contains("Error:", "show() cannot run until what it references is declared");
        assertThat(run.status()).as(run.output()).isEqualTo(1);
    }

    @Test
    void warningsAndTextPrintedByTheNotebookAreNotFailures(@TempDir Path dir) throws Exception {
        Path clean = write(dir.resolve("clean.jsh"), """
                Runtime.getRuntime().runFinalization();
                System.err.println("Error: this line is the notebook's own output");
                /exit
                """);

        Run run = notebook(clean.toString(), 5);

        assertThat(run.output()).contains("Warning:", "marked for removal", "Error: this line is the notebook's own");
        assertThat(run.status()).as(run.output()).isZero();
    }

    @Test
    void aNotebookThatDoesNotExistFailsTheRun(@TempDir Path dir) throws Exception {
        Run run = notebook(dir.resolve("missing.jsh").toString(), 5);

        assertThat(run.output()).contains("missing.jsh' for 'jshell' is not found");
        assertThat(run.status()).isEqualTo(1);
    }

    @Test
    void withoutAFileItIsAnInteractiveSessionWithGraftOnTheClassPath() throws Exception {
        Run run = run(List.of(), """
                System.out.println("loaded " + dev.graft.samples.cli.GraftCli.class.getSimpleName());
                /exit
                """, 5);

        assertThat(run.output()).contains("loaded GraftCli");
        assertThat(run.status()).as(run.output()).isZero();
    }

    private static Path write(Path file, String text) throws IOException {
        return Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** {@code samples/notebook FILE} from the project root, standard input closed. */
    private static Run notebook(String file, int timeoutMinutes) throws Exception {
        return run(List.of(file), "", timeoutMinutes);
    }

    /**
     * {@code samples/notebook ARGS} from the project root, {@code input} on its standard input, output echoed to this
     * test's output as it comes (a notebook trains heads for minutes).
     */
    private static Run run(List<String> args, String input, int timeoutMinutes) throws Exception {
        List<String> command = Stream.concat(Stream.of(SCRIPT.toString()), args.stream()).toList();
        ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("GRAFT_SKIP_BUILD", "1");
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.UTF_8));
        }
        StringBuilder output = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println(line);
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                synchronized (output) {
                    output.append("[reading the output failed: ").append(e).append("]\n");
                }
            }
        });
        if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(TimeUnit.SECONDS.toMillis(10));
            throw new AssertionError("samples/notebook " + String.join(" ", args) + " still running after " + timeoutMinutes
                    + " minutes; output so far:\n" + output);
        }
        reader.join();
        synchronized (output) {
            return new Run(p.exitValue(), output.toString());
        }
    }
}
