package dev.graft.adapters.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.eval.DatasetFormatException;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invalid UTF-8 is reported on the line it is on, for files and standard input, by every text reader. */
class Utf8InputTest {
    @TempDir
    Path dir;

    /** {@code lines} lines of text, then {@code bad} on line {@code lines + 1}, then more lines; ends with {@code eol}. */
    static byte[] withBadByteOnLine(int badLine, String eol, byte[] bad) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 1; i < badLine; i++) {
            b.writeBytes(("line " + i + " ünïcödé ok" + eol).getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes("bad here: ".getBytes(StandardCharsets.UTF_8));
        b.writeBytes(bad);
        b.writeBytes((eol + "after" + eol).getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }

    static List<String> readAll(byte[] bytes) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = Utf8Input.reader(new ByteArrayInputStream(bytes))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
            }
        }
        return lines;
    }

    @Test
    void theLineAndByteOffsetOfTheFirstInvalidByteAreExact() {
        byte[][] bads = {{(byte) 0xEF}, {(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}};
        for (String eol : new String[]{"\n", "\r\n", "\r"}) {
            for (int badLine : new int[]{1, 2, 3, 5000}) { // line 5000 is far past the first 64 KiB block
                for (byte[] bad : bads) {
                    byte[] bytes = withBadByteOnLine(badLine, eol, bad);
                    long offset = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("bad here: ") + 10L;
                    assertThatThrownBy(() -> readAll(bytes))
                            .as("line %d, line end %s", badLine, eol.replace("\r", "CR").replace("\n", "LF"))
                            .isInstanceOfSatisfying(InvalidUtf8Exception.class, e -> {
                                assertThat(e.line()).isEqualTo(badLine);
                                assertThat(e.byteOffset()).isEqualTo(offset);
                            });
                }
            }
        }
    }

    @Test
    void validInputReadsAsTheJdkDecoderReadsIt() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            sb.append("línea ").append(i).append(" 😀 中文\r\n");
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        assertThat(readAll(bytes)).isEqualTo(sb.toString().lines().toList());
        assertThat(readAll(new byte[0])).isEmpty();
        // a multi-byte sequence cut off at the very end is invalid too
        assertThatThrownBy(() -> readAll(new byte[]{'a', '\n', (byte) 0xE4, (byte) 0xB8}))
                .isInstanceOfSatisfying(InvalidUtf8Exception.class, e -> assertThat(e.line()).isEqualTo(2));
    }

    @Test
    void standardInputNamesTheLineToo() {
        byte[] bytes = withBadByteOnLine(2, "\n", new byte[]{(byte) 0xE9});
        assertThatThrownBy(() -> TextLines.read(new ByteArrayInputStream(bytes), TextLines.STDIN))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("(stdin):2: not valid UTF-8");
    }

    @Test
    void csvAndConlluFilesNameTheLine() throws IOException {
        Path csv = dir.resolve("data.csv");
        try (var out = Files.newOutputStream(csv)) {
            out.write("text,label\nfine,a\n\"quoted, across\nlines\",b\n".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[]{'b', 'a', 'd', (byte) 0xE9, ',', 'c', '\n'});
        }
        assertThatThrownBy(() -> CsvDataset.read(csv, "text", "label"))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.line()).isEqualTo(5))
                .hasMessageContaining("data.csv:5: not valid UTF-8");
        Path conllu = dir.resolve("data.conllu");
        try (var out = Files.newOutputStream(conllu)) {
            out.write("# text = a\n1\ta\ta\tDET\t_\t_\t_\t_\t_\t_\n\n".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[]{'1', '\t', (byte) 0xC0, '\t'});
        }
        assertThatThrownBy(() -> ConlluDataset.read(conllu))
                .isInstanceOfSatisfying(DatasetFormatException.class, e -> assertThat(e.line()).isEqualTo(4))
                .hasMessageContaining("data.conllu:4: not valid UTF-8");
    }
}
