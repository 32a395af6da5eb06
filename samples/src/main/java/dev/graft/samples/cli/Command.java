package dev.graft.samples.cli;

import java.io.PrintStream;

/** One sub-command of {@code samples/graft}. */
public interface Command {
    /** The word on the command line. */
    String name();

    /** One line for {@code --help}. */
    String summary();

    /** The full usage text: synopsis and every option. */
    String usage();

    /** Runs with the arguments after the command name; returns the process exit code. */
    int run(Options options, PrintStream out, PrintStream err) throws Exception;
}
