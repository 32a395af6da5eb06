package dev.graft.samples.notebooks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import jdk.jshell.spi.ExecutionControl.ResolutionException;
import jdk.jshell.tool.JavaShellToolBuilder;

/**
 * What {@code samples/notebook FILE} runs: the {@code jshell} tool itself ({@link JavaShellToolBuilder}, as the
 * {@code jshell} launcher does) on the given options and files, with an exit status that says whether any snippet
 * failed. The tool reads each file line by line exactly as {@code jshell FILE} does; on its own it prints the
 * problems and exits 0.
 *
 * <p>Output is streamed as it comes. The exit status is non-zero when the tool reported a snippet that does not
 * compile, a snippet that threw, a file it could not read ({@link ProblemWatch}), or a call of code with an
 * unresolved reference, which the tool reports only in an interactive session ({@link WatchedExecution}; this runner
 * prints it). Warnings are not failures.
 */
public final class NotebookRunner {
    private NotebookRunner() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.err));
    }

    /**
     * Runs the tool with {@code args} (jshell options and files), its own messages to {@code err}, snippet output to
     * {@link System#out} and {@link System#err}. Returns the exit status: the tool's when it is not 0 (e.g.
     * {@code /exit 3}, a bad option), else 1 when a problem was reported, else 0.
     */
    public static int run(String[] args, PrintStream err) throws Exception {
        ProblemWatch watch = new ProblemWatch(err, err.charset());
        int status;
        try (PrintStream toolErr = new PrintStream(watch, true, err.charset())) {
            // A call of code with an unresolved reference: running a file, the tool says nothing; say it here.
            WatchedExecution.listener(e -> {
                toolErr.flush();
                watch.report(callee(e) + " cannot run until what it references is declared");
            });
            status = JavaShellToolBuilder.builder()
                    .locale(Locale.ROOT) // English messages: ProblemWatch reads their headers
                    .err(toolErr, System.err)
                    .start(withWatchedExecution(args));
        } finally {
            WatchedExecution.listener(e -> {});
        }
        List<String> problems = watch.problems();
        if (problems.isEmpty()) {
            return status;
        }
        err.printf("notebook: %d problem%s reported by jshell running %s, the first: %s%n",
                problems.size(), problems.size() == 1 ? "" : "s", String.join(" ", files(args)), problems.getFirst());
        return status != 0 ? status : 1;
    }

    /** What a call with an unresolved reference called: {@code f()} or {@code new C()}, from the top frame. */
    static String callee(ResolutionException e) {
        StackTraceElement[] stack = e.getStackTrace();
        if (stack.length == 0) {
            return "a snippet";
        }
        String type = stack[0].getClassName().substring(stack[0].getClassName().lastIndexOf('$') + 1);
        String method = stack[0].getMethodName();
        boolean wrapper = type.chars().allMatch(Character::isDigit); // REPL.$JShell$12: a top-level snippet
        return method.equals("<init>") ? "new " + type + "()" : (wrapper ? "" : type + ".") + method + "()";
    }

    /** The files in jshell arguments: what is not an option or the value of one. */
    static List<String> files(String[] args) {
        Set<String> takeValue = Set.of("--class-path", "--module-path", "--add-modules", "--add-exports", "--startup",
                "--feedback", "--execution");
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (takeValue.contains(args[i])) {
                i++;
            } else if (!args[i].startsWith("-") || args[i].equals("-")) {
                files.add(args[i]);
            }
        }
        return files;
    }

    /** {@code args} with {@code --execution graftnotebook} first, unless they choose an engine themselves. */
    static String[] withWatchedExecution(String[] args) {
        if (Arrays.stream(args).anyMatch(a -> a.equals("--execution") || a.startsWith("--execution="))) {
            return args;
        }
        List<String> all = new ArrayList<>(List.of("--execution", WatchedExecution.NAME));
        all.addAll(Arrays.asList(args));
        return all.toArray(String[]::new);
    }
}
