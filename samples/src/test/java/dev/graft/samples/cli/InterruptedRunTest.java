package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C and {@code kill} in the middle of a run, as a user does it: the real CLI in its own JVM, started the way
 * {@code samples/graft} starts it (its JVM flags, this build's class path), interrupted while it writes. Nothing
 * half-written may appear and no hidden temporary file may be left; one left by a killed run is swept by the next.
 */
class InterruptedRunTest {
    /** Where the launcher is, from the samples module (where surefire runs) or the repository root. */
    static final Path LAUNCHER = Files.isRegularFile(Path.of("graft")) ? Path.of("graft") : Path.of("samples", "graft");

    @TempDir
    Path dir;

    /** The JVM flags {@code samples/graft} passes (its {@code flags="…"} line). */
    static List<String> launcherFlags() throws IOException {
        String line = Files.readAllLines(LAUNCHER).stream().filter(l -> l.startsWith("flags=\"")).findFirst()
                .orElseThrow(() -> new AssertionError(LAUNCHER + " has no flags=\"…\" line"));
        return List.of(line.substring("flags=\"".length(), line.lastIndexOf('"')).split(" "));
    }

    /** Starts {@code GraftCli args} like the launcher does, with SIGINT and SIGTERM handled as in a terminal. */
    static Process startCli(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        // a process started in the background may inherit SIGINT ignored, and a JVM then never sees Ctrl-C; a
        // terminal's foreground process has the default handling, which `env --default-signal` restores
        if (new ProcessBuilder("env", "--default-signal=INT,TERM", "true").start().waitFor() == 0) {
            cmd.addAll(List.of("env", "--default-signal=INT,TERM"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(launcherFlags());
        cmd.add("-Dai.djl.offline=true");
        String shared = System.getProperty("graft.shared.dir");
        if (shared != null) {
            cmd.add("-Dgraft.shared.dir=" + shared);
        }
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                GraftCli.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(workDir.resolve("cli.log").toFile()).start();
    }

    /** Graft's temporary files ({@code .name.graft-PID-RANDOM.tmp}) in {@code d}. */
    static List<String> tempFiles(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\..*\\.graft-\\d+-[0-9a-f]{8}\\.tmp")).toList();
        }
    }

    static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Whether a temporary file in {@code d} holds data (not the empty probe the pre-flight check creates). */
    static boolean writing(Path d) throws IOException {
        for (String name : tempFiles(d)) {
            Path p = d.resolve(name);
            try {
                if (Files.isRegularFile(p) && Files.size(p) > 0) {
                    return true;
                }
            } catch (IOException gone) {
                // renamed or deleted meanwhile
            }
        }
        return false;
    }

    /** Waits until the CLI is writing data into a temporary file in {@code d}, then sends it {@code signal}. */
    static int interruptWhileWriting(Process cli, Path d, String signal, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!writing(d)) {
            if (!cli.isAlive()) {
                fail("the CLI ended (" + cli.exitValue() + ") before writing anything:\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                cli.destroyForcibly();
                fail("the CLI wrote nothing in 5 minutes:\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
        assertThat(new ProcessBuilder("kill", "-s", signal, Long.toString(cli.pid())).start().waitFor()).isZero();
        if (!cli.waitFor(2, TimeUnit.MINUTES)) {
            cli.destroyForcibly();
            fail("the CLI did not end after SIG" + signal);
        }
        return cli.exitValue();
    }

    static List<String> lines(int n) {
        return IntStream.range(0, n).mapToObj(i -> "text number " + i + " about a card that arrived late " + (i % 7)).toList();
    }

    @ParameterizedTest(name = "SIG{0} while writing {1}")
    @CsvSource({"TERM, out.jsonl", "INT, out.arrow"})
    void anEmbedRunInterruptedWhileWritingLeavesNeitherOutputNorTemporaryFile(String signal, String out) throws Exception {
        Path input = Files.write(dir.resolve("texts.txt"), lines(20_000));
        Process cli = startCli(dir, "embed", "--threads", "1", "--input", input.toString(), "--output", out);
        int code = interruptWhileWriting(cli, dir, signal, dir.resolve("cli.log"));
        assertThat(code).as("killed by SIG%s", signal).isEqualTo(128 + (signal.equals("TERM") ? 15 : 2));
        assertThat(names(dir)).containsExactlyInAnyOrder("cli.log", "texts.txt");
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void aTrainingRunInterruptedWhileExtractingFeaturesLeavesNoPartialCacheFile(String signal) throws Exception {
        List<String> csv = new ArrayList<>(List.of("text,label"));
        List<String> texts = lines(20_000);
        for (int i = 0; i < texts.size(); i++) {
            csv.add(texts.get(i) + "," + (i % 2 == 0 ? "even" : "odd"));
        }
        Path train = Files.write(dir.resolve("train.csv"), csv);
        Path cache = dir.resolve("cache");
        Process cli = startCli(dir, "train-head", "--task", "classification", "--threads", "1", "--train", train.toString(),
                "--cache-dir", cache.toString(), "--output", "head");
        int code = interruptWhileWriting(cli, cache, signal, dir.resolve("cli.log"));
        assertThat(code).isEqualTo(128 + (signal.equals("TERM") ? 15 : 2));
        assertThat(names(cache)).as("no partial .arrow, no temporary file").isEmpty();
        assertThat(names(dir)).containsExactlyInAnyOrder("cache", "cli.log", "train.csv");
    }

    @Test
    void theNextRunSweepsTemporaryFilesOfAKilledRunButNotThoseOfARunningOne() throws Exception {
        Process done = new ProcessBuilder("true").start();
        done.waitFor();
        long deadPid = done.pid();
        Process running = new ProcessBuilder("sleep", "120").start();
        try {
            Path killed = Files.writeString(dir.resolve(".out.jsonl.graft-" + deadPid + "-0badf00d.tmp"), "{\"embedding\":[0.1,");
            Path live = Files.writeString(dir.resolve(".other.jsonl.graft-" + running.pid() + "-0000beef.tmp"), "{\"emb");
            Path notOurs = Files.writeString(dir.resolve(".out.jsonl.12345.tmp"), "someone else's");
            Path input = Files.write(dir.resolve("texts.txt"), lines(3));
            HeadCommandsTest.Run r = HeadCommandsTest.run("embed", "--threads", "1", "--input", input.toString(),
                    "--output", dir.resolve("out.jsonl").toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(killed).as("the killed run's file").doesNotExist();
            assertThat(live).as("the running writer's file").exists();
            assertThat(notOurs).exists();
            assertThat(Files.readAllLines(dir.resolve("out.jsonl"), StandardCharsets.UTF_8)).hasSize(3);
        } finally {
            running.destroy();
            running.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
