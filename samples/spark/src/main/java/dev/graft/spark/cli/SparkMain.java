package dev.graft.spark.cli;

import dev.graft.samples.cli.GraftCli;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code samples/graft spark <embed|predict|bench> [options]} (the launcher starts it, with Spark's
 * jars and JVM flags, for the {@code spark} command only).
 */
public final class SparkMain {
    private SparkMain() {
    }

    /** The spark commands, named "spark embed", "spark predict", "spark bench". */
    public static GraftCli cli() {
        return new GraftCli(List.of(new SparkEmbedCommand(), new SparkPredictCommand(), new SparkBenchCommand()));
    }

    /** {@code spark embed …} becomes the command "spark embed"; {@code spark --help} lists them. */
    static String[] commandLine(String[] args) {
        if (args.length >= 2 && args[0].equals("spark") && !args[1].startsWith("-")) {
            String[] a = Arrays.copyOfRange(args, 1, args.length);
            a[0] = "spark " + args[1];
            return a;
        }
        return args.length >= 1 && args[0].equals("spark") ? Arrays.copyOfRange(args, 1, args.length) : args;
    }

    public static void main(String[] args) {
        System.exit(cli().run(commandLine(args), System.out, System.err));
    }
}
