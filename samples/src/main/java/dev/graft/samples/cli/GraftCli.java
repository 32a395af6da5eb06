package dev.graft.samples.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Entry point of {@code samples/graft <command> [options]}. */
public final class GraftCli {
    private final Map<String, Command> commands = new LinkedHashMap<>();

    public GraftCli(List<Command> commands) {
        for (Command c : commands) {
            if (this.commands.put(c.name(), c) != null) {
                throw new IllegalArgumentException("duplicate command " + c.name());
            }
        }
    }

    /** The commands this build of Graft offers. */
    public static GraftCli standard() {
        return new GraftCli(Commands.all());
    }

    public static void main(String[] args) {
        System.exit(standard().run(args, System.out, System.err));
    }

    /**
     * Runs one command line; returns the exit code (0 ok, 1 failure, 2 usage error). Every failure of the command —
     * an exception, or an {@link Error} such as {@link OutOfMemoryError} — becomes one message on {@code err} naming
     * the command; {@code -Dgraft.debug=true} adds the stack trace.
     */
    public int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            if (args.length > 1 && commands.containsKey(args[1])) {
                out.println(commands.get(args[1]).usage());
            } else {
                out.println(help());
            }
            return args.length == 0 ? 2 : 0;
        }
        Command c = commands.get(args[0]);
        if (c == null) {
            err.println("graft: unknown command '" + args[0] + "'\n\n" + help());
            return 2;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(c.usage());
            return 0;
        }
        try {
            return c.run(parse(c, rest), out, err);
        } catch (UsageException e) {
            err.println("graft " + c.name() + ": " + e.getMessage() + "\n\n" + c.usage());
            return 2;
        } catch (Exception e) {
            err.println("graft " + c.name() + ": " + describe(e));
            debug(e, err);
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("graft " + c.name() + ": out of memory (" + describe(e) + ") with a heap of at most "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MB; give the JVM more (GRAFT_JAVA_OPTS=-Xmx8g for"
                    + " samples/graft) or the command less work");
            debug(e, err);
            return 1;
        } catch (Error e) {
            // a JVM-level failure of this command; reported like the others, not as a raw stack dump
            err.println("graft " + c.name() + ": internal error, " + e.getClass().getSimpleName() + ": " + describe(e)
                    + " (run with -Dgraft.debug=true for the stack trace)");
            debug(e, err);
            return 1;
        }
    }

    private static void debug(Throwable e, PrintStream err) {
        if (Boolean.getBoolean("graft.debug")) {
            e.printStackTrace(err);
        }
    }

    private static Options parse(Command c, List<String> rest) {
        return new Options(rest, c instanceof FlagCommand f ? f.flags() : java.util.Set.of(),
                c instanceof RepeatableCommand r ? r.repeatable() : java.util.Set.of());
    }

    /** The message chain of an exception, most specific last: what went wrong, in words. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (sb.length() > 0) {
                sb.append("\n  caused by: ");
            }
            sb.append(m != null ? m : t.getClass().getSimpleName());
            if (t.getCause() == t) {
                break;
            }
        }
        return sb.toString();
    }

    String help() {
        StringBuilder sb = new StringBuilder("usage: samples/graft <command> [options]\n\ncommands:\n");
        for (Command c : commands.values()) {
            sb.append(String.format(Locale.ROOT, "  %-12s %s%n", c.name(), c.summary()));
        }
        sb.append("\nsamples/graft <command> --help shows a command's options.");
        return sb.toString();
    }

    /** A command with options that may be given more than once ({@code --adapter A --adapter B}). */
    public interface RepeatableCommand extends Command {
        java.util.Set<String> repeatable();
    }

    /** A command with options that take no value. */
    public interface FlagCommand extends Command {
        java.util.Set<String> flags();
    }
}
