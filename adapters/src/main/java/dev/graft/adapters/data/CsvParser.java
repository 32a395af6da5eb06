package dev.graft.adapters.data;

import dev.graft.backbones.eval.DatasetFormatException;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A streaming RFC 4180 record reader: fields separated by commas, records by CRLF, LF or CR; a field in double
 * quotes may hold commas, line breaks and doubled quotes ({@code ""} → {@code "}). A leading UTF-8 byte-order mark
 * is dropped and completely empty lines between records are skipped (as Python's {@code csv} module does).
 * Anything else RFC 4180 forbids — a quote inside an unquoted field, text after a closing quote, a quote never
 * closed — is a {@link DatasetFormatException} naming the line.
 */
final class CsvParser implements Closeable {

    /** One record: its fields and the 1-based line each field starts on. */
    record Row(List<String> fields, long[] fieldLines) {
        long line() {
            return fieldLines[0];
        }
    }

    private static final int EOF = -1;

    private final Path file;
    private final Reader in;
    private final char[] buf = new char[1 << 14];
    private int pos;
    private int limit;
    private int pushedBack = Integer.MIN_VALUE;
    private long line = 1;
    private boolean started;

    CsvParser(Path file, Reader in) {
        this.file = file;
        this.in = in;
    }

    /** The next record, or {@code null} at the end of the input. */
    Row next() throws IOException {
        if (!started) {
            started = true;
            int c = read();
            if (c != DataFiles.BOM) {
                unread(c);
            }
        }
        int c;
        while (true) { // skip empty lines
            c = read();
            if (c == EOF) {
                return null;
            }
            if (c == '\n') {
                line++;
            } else if (c == '\r') {
                skipLf();
                line++;
            } else {
                break;
            }
        }
        unread(c);
        List<String> fields = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        while (true) {
            long fieldLine = line;
            c = read();
            if (c == '"') {
                c = readQuoted(field, fieldLine);
                if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
                    throw error(line, "unexpected character '" + (char) c + "' after the closing quote of a field "
                            + "(a quote inside a quoted field must be doubled: \"\")");
                }
            } else {
                while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
                    if (c == '"') {
                        throw error(line, "quote character inside an unquoted field (quote the whole field and "
                                + "double the quote: \"\")");
                    }
                    field.append((char) c);
                    c = read();
                }
            }
            fields.add(field.toString());
            lines.add(fieldLine);
            field.setLength(0);
            if (c == ',') {
                continue;
            }
            if (c == '\r') {
                skipLf();
                line++;
            } else if (c == '\n') {
                line++;
            }
            long[] fieldLines = new long[lines.size()];
            for (int i = 0; i < fieldLines.length; i++) {
                fieldLines[i] = lines.get(i);
            }
            return new Row(List.copyOf(fields), fieldLines);
        }
    }

    /** Reads a quoted field's content after its opening quote; returns the character after the closing quote. */
    private int readQuoted(StringBuilder field, long fieldLine) throws IOException {
        while (true) {
            int c = read();
            if (c == EOF) {
                throw error(fieldLine, "unterminated quoted field: the quote opened on this line is never closed");
            }
            if (c == '"') {
                int next = read();
                if (next != '"') {
                    return next;
                }
                field.append('"');
            } else if (c == '\r') {
                field.append('\r');
                int next = read();
                if (next == '\n') {
                    field.append('\n');
                } else {
                    unread(next);
                }
                line++;
            } else {
                if (c == '\n') {
                    line++;
                }
                field.append((char) c);
            }
        }
    }

    private void skipLf() throws IOException {
        int c = read();
        if (c != '\n') {
            unread(c);
        }
    }

    private int read() throws IOException {
        if (pushedBack != Integer.MIN_VALUE) {
            int c = pushedBack;
            pushedBack = Integer.MIN_VALUE;
            return c;
        }
        if (pos == limit) {
            try {
                limit = in.read(buf, 0, buf.length);
            } catch (CharacterCodingException e) {
                throw DataFiles.notUtf8(file, e, line);
            }
            pos = 0;
            if (limit <= 0) {
                limit = 0;
                return EOF;
            }
        }
        return buf[pos++];
    }

    private void unread(int c) {
        pushedBack = c;
    }

    DatasetFormatException error(long atLine, String reason) {
        return new DatasetFormatException(file, atLine, reason);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
