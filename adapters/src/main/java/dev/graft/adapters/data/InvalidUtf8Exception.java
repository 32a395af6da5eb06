package dev.graft.adapters.data;

import java.nio.charset.CharacterCodingException;

/**
 * Input that is not valid UTF-8, with where the first invalid byte sequence is: thrown by the readers of
 * {@link Utf8Input}, which decode the bytes themselves and so know the exact place even for standard input (a
 * {@code java.io.InputStreamReader} decodes a buffer ahead of the line being read and cannot tell).
 */
public final class InvalidUtf8Exception extends CharacterCodingException {
    private final long line;
    private final long byteOffset;

    InvalidUtf8Exception(long line, long byteOffset) {
        this.line = line;
        this.byteOffset = byteOffset;
    }

    /** The 1-based line the invalid bytes are on (lines end with LF, CRLF or a lone CR). */
    public long line() {
        return line;
    }

    /** The 0-based offset, in bytes from the start of the input, of the first invalid byte. */
    public long byteOffset() {
        return byteOffset;
    }

    @Override
    public String getMessage() {
        return "not valid UTF-8: invalid byte sequence on line " + line + " at byte offset " + byteOffset;
    }
}
