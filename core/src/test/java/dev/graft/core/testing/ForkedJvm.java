package dev.graft.core.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class of the test class path in a child JVM whose JIT mode is forced ({@link JitMode}), for
 * checks that depend on what the JIT compiled: the allocation of warm kernels ({@link ZeroAllocation}) and the bits
 * of kernels in each execution mode ({@code DeterminismTest}). The child gets the library's module flags of this JVM
 * (the Vector API module, native access), its class path, and optionally lower compile thresholds for Graft's own
 * methods ({@code CompileThresholdScaling} on {@code dev.graft.*}) so that warm-up takes fewer calls.
 * The child's standard output comes back as lines; its standard error is kept for the failure message.
 */
public final class ForkedJvm {
    /** A guard against a hung child only: no test result depends on how long a child takes. */
    private static final long HANG_GUARD_MINUTES = 20;

    private ForkedJvm() {
    }

    /**
     * What a child printed.
     *
     * @param command the command line that started it
     * @param lines its standard output, line by line
     * @param stderr its standard error
     */
    public record Output(List<String> command, List<String> lines, String stderr) {
        /** The command, the last lines of the output and the standard error, for a failure message. */
        public String describe() {
            List<String> tail = lines.size() > 40 ? lines.subList(lines.size() - 40, lines.size()) : lines;
            return "child JVM: " + String.join(" ", command) + "\n--- stdout (last " + tail.size() + " lines)\n"
                    + String.join("\n", tail) + "\n--- stderr\n" + stderr;
        }
    }

    /**
     * Runs {@code main} with {@code args} in a child JVM in {@code mode}, with Graft's compile thresholds scaled by
     * {@code graftScaling} (1: the JVM's defaults) and {@code options} added (e.g. {@code -XX:CompileCommand=exclude,...}); fails, with the
     * child's output, unless it exits with 0.
     */
    public static Output run(JitMode mode, double graftScaling, List<String> options, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(moduleFlags());
        command.add("-Xmx1g");
        command.addAll(mode.flags());
        command.add("-XX:CompileCommand=quiet");
        if (mode != JitMode.INTERPRETED && graftScaling != 1.0) {
            command.add(String.format(Locale.ROOT, "-XX:CompileCommand=CompileThresholdScaling,dev.graft.*::*,%s", graftScaling));
        }
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("graft-forked-jvm", ".stderr");
        try {
            Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            process.getOutputStream().close();
            CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> readLines(process));
            if (!process.waitFor(HANG_GUARD_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("child JVM still running after " + HANG_GUARD_MINUTES + " minutes, killed: "
                        + new Output(command, lines.getNow(List.of()), Files.readString(stderr)).describe());
            }
            Output output = new Output(List.copyOf(command), lines.get(), Files.readString(stderr));
            if (process.exitValue() != 0) {
                throw new AssertionError("child JVM exited with " + process.exitValue() + ": " + output.describe());
            }
            return output;
        } catch (ExecutionException e) {
            throw new IOException("cannot read the child JVM's output", e.getCause());
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    private static List<String> readLines(Process process) {
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return lines;
    }

    /**
     * The module and native-access flags this JVM was started with (surefire's argLine: the library's JVM flags),
     * and the Vector API module in any case.
     */
    static List<String> moduleFlags() {
        List<String> flags = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc-")
                    || arg.equals("--enable-preview")) {
                flags.add(arg);
            }
        }
        if (!flags.contains("--add-modules=jdk.incubator.vector")) {
            flags.add("--add-modules=jdk.incubator.vector");
        }
        return flags;
    }
}
