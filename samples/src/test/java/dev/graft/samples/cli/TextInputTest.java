package dev.graft.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invalid UTF-8 in the texts {@code embed} and {@code similarity} read is reported on its own line (was "after line 0"). */
class TextInputTest {
    @TempDir
    Path dir;

    static final byte[] LATIN1_ON_LINE_2 = {'f', 'i', 'r', 's', 't', '\n', 'n', 'a', (byte) 0xEF, 'v', 'e', '\n', 'x', '\n'};

    @Test
    void embedNamesTheFileAndLineOfInvalidUtf8() throws IOException {
        Path texts = Files.write(dir.resolve("texts.txt"), LATIN1_ON_LINE_2);
        HeadCommandsTest.Run r = HeadCommandsTest.run("embed", "--input", texts.toString(),
                "--output", dir.resolve("out.jsonl").toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains(texts + ":2: not valid UTF-8").contains("byte offset 8");
        assertThat(dir.resolve("out.jsonl")).doesNotExist();
    }

    @Test
    void standardInputNamesTheLine() {
        assertThatThrownBy(() -> TextInput.lines("-", new ByteArrayInputStream(LATIN1_ON_LINE_2)))
                .isInstanceOf(IOException.class).hasMessageContaining("standard input:2: not valid UTF-8");
    }

    @Test
    void validTextIsReadLineByLine() throws IOException {
        assertThat(TextInput.lines("-", new ByteArrayInputStream("a\r\nb ü\n\nc".getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                .containsExactly("a", "b ü", "", "c");
    }
}
