package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextLinesTest {

    @TempDir
    Path dir;

    @Test
    void readsOneUnlabelledTextPerLineVerbatim() throws IOException {
        Path file = Files.writeString(dir.resolve("in.txt"), "\uFEFFfirst, with comma\r\n  \"quoted\" second\nthird");
        List<LabeledText> texts = TextLines.read(file.toString());
        assertThat(texts).extracting(LabeledText::text)
                .containsExactly("first, with comma", "  \"quoted\" second", "third");
        assertThat(texts).allMatch(t -> !t.labelled());
        assertThat(texts).extracting(LabeledText::source)
                .containsExactly(new SourceLine(file, 1), new SourceLine(file, 2), new SourceLine(file, 3));
    }

    @Test
    void readsAStreamUnderAName() throws IOException {
        var in = new ByteArrayInputStream("a\nb\n".getBytes(StandardCharsets.UTF_8));
        List<LabeledText> texts = TextLines.read(in, TextLines.STDIN);
        assertThat(texts).extracting(LabeledText::text).containsExactly("a", "b");
        assertThat(texts.get(1).source().toString()).isEqualTo("(stdin):2");
        assertThat(TextLines.read(new ByteArrayInputStream(new byte[0]), TextLines.STDIN)).isEmpty();
    }

    @Test
    void blankLineIsAnErrorNamingTheLine() throws IOException {
        Path file = Files.writeString(dir.resolve("gaps.txt"), "one\ntwo\n   \nfour\n");
        assertThatThrownBy(() -> TextLines.read(file))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.line()).isEqualTo(3))
                .hasMessageContaining("gaps.txt:3: ")
                .hasMessageContaining("empty text");
        var stdin = new ByteArrayInputStream("x\n\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> TextLines.read(stdin, TextLines.STDIN)).hasMessageContaining("(stdin):2: empty text");
    }

    @Test
    void invalidUtf8NamesTheLine() throws IOException {
        Path file = Files.write(dir.resolve("latin1.txt"), "ok\nna\u00efve\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> TextLines.read(file))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("latin1.txt:2: not valid UTF-8");
    }

    @Test
    void missingFileNamesIt() {
        assertThatThrownBy(() -> TextLines.read(dir.resolve("absent.txt")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("absent.txt");
    }
}
