package dev.graft.samples.notebooks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The jshell tool's error stream, passed through unchanged, read line by line for the problems it reports.
 *
 * <p>While the files named on the command line run, the tool writes exactly its problems there (snippet output
 * goes elsewhere): {@code Error:} blocks (a snippet that does not compile), {@code Exception …} traces (a snippet
 * that threw) and messages such as a file that is not found. {@code Warning:} blocks are shown but are not
 * problems. The headers are the tool's English ones; {@link NotebookRunner} starts the tool with {@code Locale.ROOT}.
 */
final class ProblemWatch extends OutputStream {
    private enum Block { NONE, WARNING, ERROR, EXCEPTION, OTHER }

    /** The last line of a diagnostic: {@code ^} or {@code ^---^} (or {@code ^----...}) under the source. */
    private static final Pattern CARET = Pattern.compile("\\^(-*(\\^|-\\.\\.\\.))?");

    private final OutputStream out;
    private final Charset charset;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<String> problems = new ArrayList<>();
    private Block block = Block.NONE;
    private boolean awaitingReason;

    ProblemWatch(OutputStream out, Charset charset) {
        this.out = out;
        this.charset = charset;
    }

    /** One entry per problem, in order: its first line, e.g. {@code Error: illegal start of expression}. */
    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /** Shows and notes a problem the tool does not report itself, as an {@code Error:} block. */
    synchronized void report(String reason) {
        try {
            out.write(("Error:%n%s%n".formatted(reason)).getBytes(charset));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        problems.add("Error: " + reason);
        block = Block.NONE;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        out.write(b);
        take(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        for (int i = off; i < off + len; i++) {
            take(b[i]);
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        if (line.size() > 0) {
            classify(line.toString(charset));
            line.reset();
        }
        out.flush();
    }

    private void take(int b) {
        if (b == '\n') {
            classify(line.toString(charset));
            line.reset();
        } else {
            line.write(b);
        }
    }

    private void classify(String text) {
        String t = text.strip();
        if (t.isEmpty()) {
            return;
        }
        switch (block) {
            case WARNING, ERROR -> { // a diagnostic: message lines, the source line, then a caret line under it
                if (isHeader(t)) {
                    break;
                }
                if (awaitingReason) {
                    problems.set(problems.size() - 1, "Error: " + t);
                    awaitingReason = false;
                }
                if (CARET.matcher(t).matches()) {
                    block = Block.NONE;
                }
                return;
            }
            case EXCEPTION -> { // "      at …" frames, "      ..." and "Caused by: …" with more frames
                if (Character.isWhitespace(text.charAt(0)) || t.startsWith("Caused by: ")) {
                    return;
                }
            }
            case OTHER -> { // a message of several lines, e.g. "Incomplete input:" and the rest of the source
                if (!isHeader(t)) {
                    return;
                }
            }
            case NONE -> { }
        }
        if (t.equals("Warning:")) {
            block = Block.WARNING;
        } else if (t.equals("Error:")) {
            block = Block.ERROR;
            problems.add(t);
            awaitingReason = true; // the next line says what the error is
        } else if (t.startsWith("Exception ")) {
            block = Block.EXCEPTION;
            problems.add(t);
        } else { // any other message of the tool, e.g. a file that is not found
            block = Block.OTHER;
            problems.add(t);
        }
    }

    private static boolean isHeader(String t) {
        return t.equals("Warning:") || t.equals("Error:") || t.startsWith("Exception ");
    }
}
