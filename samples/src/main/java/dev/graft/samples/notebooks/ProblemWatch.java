package dev.graft.samples.notebooks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;

/**
 * The jshell tool's error stream, passed through unchanged, read line by line for the problems it reports.
 *
 * <p>While the files named on the command line run, the tool writes exactly its problems there (snippet output
 * goes elsewhere): {@code Error:} blocks (a snippet that does not compile), {@code Exception …} traces (a snippet
 * that threw) and messages such as a file that is not found. {@code Warning:} blocks are shown but are not
 * problems. The headers are the tool's English ones; {@link NotebookRunner} starts the tool with {@code Locale.ROOT}.
 */
final class ProblemWatch extends OutputStream {
    private enum Block { NONE, WARNING, PROBLEM }

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
        if (t.equals("Warning:")) {
            block = Block.WARNING;
        } else if (t.equals("Error:")) {
            block = Block.PROBLEM;
            problems.add(t);
            awaitingReason = true; // the next line says what the error is
        } else if (t.startsWith("Exception ")) {
            block = Block.PROBLEM;
            problems.add(t);
        } else if (block == Block.PROBLEM) {
            if (awaitingReason) {
                problems.set(problems.size() - 1, "Error: " + t);
                awaitingReason = false;
            }
        } else if (block == Block.NONE) { // any other message of the tool, e.g. a file that is not found
            block = Block.PROBLEM;
            problems.add(t);
        }
    }
}
