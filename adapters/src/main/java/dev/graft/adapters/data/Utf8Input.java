package dev.graft.adapters.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Strict UTF-8 text readers that report the exact line of an invalid byte: bad bytes are an error (never U+FFFD),
 * thrown as an {@link InvalidUtf8Exception} with the line and byte offset of the first invalid sequence — counted
 * by the decoder itself, so it is right for standard input too, and however far ahead of the caller the buffer is.
 */
public final class Utf8Input {
    private Utf8Input() {
    }

    /** A buffered strict UTF-8 reader over {@code in} (closing it closes {@code in}). */
    public static BufferedReader reader(InputStream in) {
        return new BufferedReader(new LineCountingDecoder(Objects.requireNonNull(in, "in")), 1 << 16);
    }

    /** Decodes bytes in blocks, counting line ends in the bytes it has decoded so far. */
    private static final class LineCountingDecoder extends Reader {
        private final InputStream in;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).limit(0);
        private boolean eof;
        private boolean flushed;
        private long line = 1;
        private long offset;
        private int previous = -1;

        LineCountingDecoder(InputStream in) {
            this.in = in;
        }

        /** Reads into {@code cbuf}; meant for a {@link BufferedReader} (it asks for blocks of at least two chars). */
        @Override
        public int read(char[] cbuf, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, cbuf.length);
            if (len == 0) {
                return 0;
            }
            CharBuffer out = CharBuffer.wrap(cbuf, off, len);
            while (out.position() == off) {
                if (flushed) {
                    return -1;
                }
                int start = bytes.position();
                CoderResult result = decoder.decode(bytes, out, eof);
                count(start, bytes.position());
                if (result.isError()) {
                    throw new InvalidUtf8Exception(line, offset);
                }
                if (result.isOverflow()) {
                    break;
                }
                if (eof) {
                    decoder.flush(out);
                    flushed = true;
                    break;
                }
                bytes.compact();
                int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
                if (n < 0) {
                    eof = true;
                } else {
                    bytes.position(bytes.position() + n);
                }
                bytes.flip();
            }
            int read = out.position() - off;
            return read == 0 && flushed ? -1 : read;
        }

        private void count(int from, int to) {
            byte[] a = bytes.array();
            for (int i = from; i < to; i++) {
                int b = a[i];
                if (b == '\r' || (b == '\n' && previous != '\r')) {
                    line++;
                }
                previous = b;
            }
            offset += to - from;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
