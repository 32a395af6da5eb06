package dev.graft.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TempFilesTest {
    @TempDir
    Path dir;

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor(30, TimeUnit.SECONDS);
        assertThat(p.isAlive()).isFalse();
        return p.pid();
    }

    static Path temp(Path dir, String name, long pid) throws IOException {
        return Files.writeString(dir.resolve("." + name + ".graft-" + pid + "-0123abcd.tmp"), "partial");
    }

    @Test
    void aTemporaryFileIsHiddenBesideItsTargetAndRegisteredUntilMovedIntoPlace() throws IOException {
        Path target = dir.resolve("out.jsonl");
        Path tmp = TempFiles.createFile(target);
        assertThat(tmp.getParent()).isEqualTo(dir);
        assertThat(tmp.getFileName().toString()).startsWith(".out.jsonl.graft-" + ProcessHandle.current().pid() + "-").endsWith(".tmp");
        assertThat(TempFiles.isTempName(tmp.getFileName().toString())).isTrue();
        assertThat(TempFiles.inProgress()).contains(tmp);
        TempFiles.moveIntoPlace(tmp, target, false);
        assertThat(target).exists();
        assertThat(TempFiles.inProgress()).doesNotContain(tmp);

        Path again = TempFiles.createFile(target);
        assertThatThrownBy(() -> TempFiles.moveIntoPlace(again, target, false)).isInstanceOf(FileAlreadyExistsException.class);
        TempFiles.delete(again);
        assertThat(again).doesNotExist();
        assertThat(TempFiles.inProgress()).doesNotContain(again);
    }

    @Test
    void staleTemporaryFilesOfDeadWritersAreSweptAndNothingElse() throws Exception {
        long dead = deadPid();
        Process live = new ProcessBuilder("sleep", "60").start();
        try {
            Path deadFile = temp(dir, "features.arrow", dead);
            Path deadDir = Files.createDirectory(dir.resolve(".intent.graft-" + dead + "-00ff00ff.tmp"));
            Files.writeString(deadDir.resolve("head.safetensors"), "partial");
            Path liveFile = temp(dir, "out.jsonl", live.pid());
            Path mine = temp(dir, "mine.arrow", ProcessHandle.current().pid());
            Path reused = temp(dir, "reused.arrow", live.pid());
            // written before the live process started: its PID was reused, the real writer is gone
            Files.setLastModifiedTime(reused, FileTime.from(Instant.now().minusSeconds(3600)));
            Path user = Files.writeString(dir.resolve(".notes.graft-tmp"), "the user's");
            Path userTmp = Files.writeString(dir.resolve(".x.123.tmp"), "someone else's naming");

            assertThat(TempFiles.sweepStale(dir)).containsExactlyInAnyOrder(deadFile, deadDir, reused);
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.toList()).containsExactlyInAnyOrder(liveFile, mine, user, userTmp);
            }
        } finally {
            live.destroy();
            live.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWrittenFileGetsTheUmaskModeAndAnExistingOneIsReplacedOnlyWhenAllowed() throws IOException {
        Path target = dir.resolve("a.txt");
        AtomicFiles.write(target, false, f -> Files.writeString(f, "one"));
        String umaskMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(Files.writeString(dir.resolve("ref"), "")));
        assumeTrue(umaskMode.startsWith("rw-r"), "needs a umask that lets the group read (0022), to tell it from 0600");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo(umaskMode);
        assertThatThrownBy(() -> AtomicFiles.write(target, false, f -> Files.writeString(f, "two")))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(target.toString());
        assertThat(Files.readString(target)).isEqualTo("one");
        assertThatThrownBy(() -> AtomicFiles.write(target, true, f -> {
            Files.writeString(f, "half");
            throw new IOException("disk full (simulated)");
        })).hasMessageContaining("disk full");
        assertThat(Files.readString(target)).isEqualTo("one");
        AtomicFiles.write(target, true, f -> Files.writeString(f, "two"));
        assertThat(Files.readString(target)).isEqualTo("two");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("a.txt", "ref");
        }
    }
}
