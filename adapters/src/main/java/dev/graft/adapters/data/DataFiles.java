package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opening data-set files: strict UTF-8 (bad bytes are an error, never U+FFFD) and a clear missing-file error. */
final class DataFiles {
    static final char BOM = '\uFEFF';

    private DataFiles() {
    }

    static BufferedReader open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "data set file does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new IOException(file + ": is a directory, not a data set file");
        }
        return reader(Files.newInputStream(file));
    }

    static BufferedReader reader(InputStream in) {
        return new BufferedReader(new InputStreamReader(in, strictUtf8()), 1 << 16);
    }

    /**
     * The error for a file a reader found not to be UTF-8. A decoding reader fails a buffer ahead of the record it
     * is parsing, so the file is scanned again (only on this error path) for the exact line and byte offset of the
     * first invalid byte; {@code fallbackLine} is used for inputs that cannot be re-read (standard input).
     */
    static DatasetFormatException notUtf8(Path file, boolean rereadable, long fallbackLine) {
        if (rereadable) {
            try (InputStream in = Files.newInputStream(file)) {
                long[] at = firstInvalidUtf8(in);
                if (at != null) {
                    return new DatasetFormatException(file, at[0], "not valid UTF-8: invalid byte sequence at byte offset "
                            + at[1] + " (save the file as UTF-8)");
                }
            } catch (IOException ignored) {
                // fall back to the reader's approximate line
            }
        }
        return new DatasetFormatException(file, fallbackLine,
                "not valid UTF-8 (at or shortly after this line; save the input as UTF-8)");
    }

    /** {@code {line, byteOffset}} of the first invalid UTF-8 sequence, or {@code null} if there is none. */
    private static long[] firstInvalidUtf8(InputStream in) throws IOException {
        CharsetDecoder decoder = strictUtf8();
        ByteBuffer bytes = ByteBuffer.allocate(1 << 16);
        CharBuffer chars = CharBuffer.allocate(1 << 16);
        long line = 1;
        long offset = 0;
        int previous = -1;
        boolean eof = false;
        while (true) {
            int n = eof ? -1 : in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) {
                eof = true;
            } else {
                bytes.position(bytes.position() + n);
            }
            bytes.flip();
            int start = bytes.position();
            CoderResult result = decoder.decode(bytes, chars, eof);
            for (int i = start; i < bytes.position(); i++) { // lines end with LF, CRLF or a lone CR
                int b = bytes.get(i);
                if (b == '\r' || (b == '\n' && previous != '\r')) {
                    line++;
                }
                previous = b;
            }
            offset += bytes.position() - start;
            if (result.isError()) {
                return new long[]{line, offset};
            }
            chars.clear();
            bytes.compact();
            if (eof && bytes.position() == 0) {
                return null;
            }
        }
    }

    private static CharsetDecoder strictUtf8() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Drops a leading byte-order mark from the first line of a file. */
    static String stripBom(String firstLine) {
        return firstLine != null && !firstLine.isEmpty() && firstLine.charAt(0) == BOM ? firstLine.substring(1) : firstLine;
    }
}
