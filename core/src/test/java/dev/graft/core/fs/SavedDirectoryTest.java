package dev.graft.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.core.fs.SavedDirectory.Existing;
import dev.graft.core.fs.SavedDirectory.Kind;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SavedDirectoryTest {
    static final Kind HEAD = new Kind("head", "head_config.json", Set.of("head.safetensors", "learning-curve.png", "adapter_config.json"));

    @TempDir
    Path dir;

    static SavedDirectory.Content files(String... nameAndContent) {
        return tmp -> {
            for (int i = 0; i < nameAndContent.length; i += 2) {
                Path p = tmp.resolve(nameAndContent[i]);
                Files.createDirectories(p.getParent());
                Files.writeString(p, nameAndContent[i + 1]);
            }
        };
    }

    static List<String> tree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aNewDirectoryHoldsTheContentAndItsManifestAndNothingIsLeftBeside() throws IOException {
        Path head = dir.resolve("heads/intent");
        SavedDirectory.write(head, HEAD, Existing.REFUSE, files("head_config.json", "{}", "head.safetensors", "w1"));
        assertThat(tree(head)).containsExactly(SavedDirectory.MANIFEST, "head.safetensors", "head_config.json");
        assertThat(Files.readString(head.resolve(SavedDirectory.MANIFEST)))
                .contains("\"kind\" : \"head\"").contains("\"head.safetensors\"").contains("\"head_config.json\"");
        assertThat(tree(dir)).allMatch(p -> p.startsWith("heads/intent/"));
        assertThat(SavedDirectory.isSave(head, HEAD)).isTrue();
    }

    @Test
    void replacingAPreviousSaveKeepsEveryFileGraftDidNotWrite() throws IOException {
        Path head = dir.resolve("intent");
        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{v1}", "head.safetensors", "w1",
                "adapter_config.json", "a1", "curves/extra.txt", "e1"));
        Files.writeString(head.resolve("NOTES.md"), "my notes");
        Files.createDirectories(head.resolve("results"));
        Files.writeString(head.resolve("results/run1.csv"), "1,2,3");
        Files.writeString(head.resolve("curves/mine.txt"), "mine");

        assertThatThrownBy(() -> SavedDirectory.write(head, HEAD, Existing.REFUSE, files("head_config.json", "{v2}")))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(head.toString())
                .hasMessageContaining("holds a saved head");
        assertThat(Files.readString(head.resolve("head_config.json"))).isEqualTo("{v1}");

        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{v2}", "head.safetensors", "w2"));
        assertThat(tree(head)).containsExactly(SavedDirectory.MANIFEST, "NOTES.md", "curves/mine.txt", "head.safetensors",
                "head_config.json", "results/run1.csv");
        assertThat(Files.readString(head.resolve("head_config.json"))).isEqualTo("{v2}");
        assertThat(Files.readString(head.resolve("head.safetensors"))).isEqualTo("w2");
        assertThat(Files.readString(head.resolve("NOTES.md"))).isEqualTo("my notes");
        assertThat(Files.readString(head.resolve("results/run1.csv"))).isEqualTo("1,2,3");
        assertThat(Files.readString(head.resolve(SavedDirectory.MANIFEST))).doesNotContain("adapter_config.json", "extra.txt");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("intent");
        }
    }

    @Test
    void aSaveFromBeforeManifestsLosesOnlyItsKnownFiles() throws IOException {
        Path head = Files.createDirectories(dir.resolve("old"));
        Files.writeString(head.resolve("head_config.json"), "{old}");
        Files.writeString(head.resolve("head.safetensors"), "old");
        Files.writeString(head.resolve("adapter_config.json"), "stale adapter");
        Files.writeString(head.resolve("NOTES.md"), "keep");
        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{new}", "head.safetensors", "new"));
        assertThat(tree(head)).containsExactly(SavedDirectory.MANIFEST, "NOTES.md", "head.safetensors", "head_config.json");
    }

    @Test
    void aNonEmptyDirectoryThatIsNotASaveAndAFileAreRefusedUntouched() throws IOException {
        Path project = Files.createDirectories(dir.resolve("project"));
        Files.writeString(project.resolve("Main.java"), "class Main {}");
        for (Existing e : Existing.values()) {
            assertThatThrownBy(() -> SavedDirectory.write(project, HEAD, e, files("head_config.json", "{}")))
                    .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("holds no saved head");
            assertThatThrownBy(() -> SavedDirectory.checkWritable(project, HEAD, e))
                    .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(project.toString());
        }
        assertThat(tree(project)).containsExactly("Main.java");
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> SavedDirectory.write(file, HEAD, Existing.REPLACE, files("head_config.json", "{}")))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("not a directory");
        assertThat(Files.readString(file)).isEqualTo("x");
        assertThat(tree(dir)).containsExactly("file", "project/Main.java");
    }

    @Test
    void aFileOfTheUserWhereTheNewSaveHasOneIsNotReplaced() throws IOException {
        Path head = dir.resolve("h");
        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{v1}"));
        Files.writeString(head.resolve("plot.png"), "the user's plot");
        assertThatThrownBy(() -> SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{v2}",
                "plot.png", "graft's plot"))).isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(head.resolve("plot.png").toString()).hasMessageContaining("not written by Graft");
        assertThat(Files.readString(head.resolve("plot.png"))).isEqualTo("the user's plot");
        assertThat(Files.readString(head.resolve("head_config.json"))).isEqualTo("{v1}");
    }

    @Test
    void aSaveOfAnotherKindIsNotReplaced() throws IOException {
        Kind model = new Kind("composed model", "model.json", Set.of("heads/"));
        Path m = dir.resolve("m");
        SavedDirectory.write(m, model, Existing.REPLACE, files("model.json", "{}", "heads/a/head_config.json", "{}"));
        assertThatThrownBy(() -> SavedDirectory.write(m, HEAD, Existing.REPLACE, files("head_config.json", "{}")))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("holds no saved head");
        SavedDirectory.write(m, model, Existing.REPLACE, files("model.json", "{2}", "heads/b/head_config.json", "{}"));
        assertThat(tree(m)).containsExactly(SavedDirectory.MANIFEST, "heads/b/head_config.json", "model.json");
        assertThat(m.resolve("heads/a")).as("emptied by removing the old save's files").doesNotExist();
    }

    @Test
    void aFailingSaveChangesNothingAndLeavesNoTemporaryDirectory() throws IOException {
        Path head = dir.resolve("h");
        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{v1}"));
        assertThatThrownBy(() -> SavedDirectory.write(head, HEAD, Existing.REPLACE, tmp -> {
            Files.writeString(tmp.resolve("head_config.json"), "{half}");
            throw new IOException("disk full (simulated)");
        })).hasMessageContaining("disk full");
        assertThat(Files.readString(head.resolve("head_config.json"))).isEqualTo("{v1}");
        assertThat(tree(dir)).containsExactly("h/" + SavedDirectory.MANIFEST, "h/head_config.json");
        assertThat(TempFiles.inProgress()).noneMatch(p -> p.startsWith(dir));
    }

    @Test
    void savedFilesAndDirectoriesGetTheUmaskModeNotOwnerOnly() throws IOException {
        Path head = dir.resolve("h");
        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{}", "sub/x", "1"));
        // a file the JVM creates without asking for permissions: what the umask gives
        Path reference = Files.writeString(dir.resolve("reference"), "");
        String fileMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(reference));
        Path refDir = Files.createDirectory(dir.resolve("reference-dir"));
        String dirMode = PosixFilePermissions.toString(Files.getPosixFilePermissions(refDir));
        assumeTrue(fileMode.startsWith("rw-r"), "needs a umask that lets the group read (0022), to tell it from 0600");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(head.resolve("head_config.json")))).isEqualTo(fileMode);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(head.resolve(SavedDirectory.MANIFEST)))).isEqualTo(fileMode);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(head))).isEqualTo(dirMode);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(head.resolve("sub")))).isEqualTo(dirMode);
    }

    @Test
    void checkWritableRefusesWhatTheSaveWouldRefuseAndCreatesNothing() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        assertThatThrownBy(() -> SavedDirectory.checkWritable(file.resolve("h"), HEAD, Existing.REPLACE))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("not a directory");
        assertThatThrownBy(() -> SavedDirectory.checkWritable(file.resolve("a/b/h"), HEAD, Existing.REPLACE))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(file.toString());
        Path head = dir.resolve("h");
        SavedDirectory.write(head, HEAD, Existing.REPLACE, files("head_config.json", "{}"));
        assertThatThrownBy(() -> SavedDirectory.checkWritable(head, HEAD, Existing.REFUSE))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("holds a saved head");
        SavedDirectory.checkWritable(head, HEAD, Existing.REPLACE);
        SavedDirectory.checkWritable(dir.resolve("a/b/h"), HEAD, Existing.REFUSE);
        assertThat(dir.resolve("a")).as("checking creates nothing").doesNotExist();
        assertThat(tree(dir)).containsExactly("h/" + SavedDirectory.MANIFEST, "h/head_config.json", "notes.txt");
    }
}
