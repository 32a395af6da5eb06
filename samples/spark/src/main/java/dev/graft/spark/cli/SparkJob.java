package dev.graft.spark.cli;

import dev.graft.adapters.train.ProgressText;
import dev.graft.core.fs.SavedDirectory;
import dev.graft.samples.cli.GraftCli;
import dev.graft.samples.cli.Options;
import dev.graft.samples.cli.UsageException;
import dev.graft.spark.GraftTransformer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * What {@code samples/graft spark embed} and {@code spark predict} share: a local Spark session, the input (CSV
 * with a header row, or Parquet), the partitions, and the Parquet output — written by Spark into a hidden temporary
 * directory Graft created, then moved into place ({@link SavedDirectory}): an existing output is replaced only with
 * {@code --overwrite}, and then only the files a previous run wrote there.
 */
abstract class SparkJob implements GraftCli.FlagCommand {
    /** A Parquet output directory: Spark's part files and {@code _SUCCESS}, listed in Graft's manifest. */
    static final SavedDirectory.Kind PARQUET = new SavedDirectory.Kind("Spark Parquet output", "_SUCCESS", Set.of());
    static final String OVERWRITE = "overwrite";

    static final String COMMON_USAGE = """
              --master URL        Spark master (default local[*]; local[N] runs N tasks at once in this JVM)
              --input FILE        a .csv file with a header row, or a .parquet file or directory
              --text-column C     the column of texts (default text); empty or missing cells give null results
              --partitions N      split the input into N partitions (default: as many as the master runs at once,
                                  if the input has fewer)
              --batch-tokens N    token budget of one batch: texts × padded length (default 4096)
              --max-length N      token limit; longer texts are cut off (default: the model's, 512)
              --output DIR.parquet  where to write (a new or empty directory; Spark's part files appear there only
                                  when the job succeeded)
              --overwrite         replace an existing output written by this command (only its own files; anything
                                  else in the directory stays). Without it an existing output is refused.
            """;

    @Override
    public Set<String> flags() {
        return Set.of(OVERWRITE, "normalize");
    }

    /** The transformer this command runs, configured from its own options. */
    abstract GraftTransformer transformer(Options o);

    /** "embedded", "predicted": for the summary line. */
    abstract String verb();

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        String master = o.get("master", "local[*]");
        Path input = Path.of(o.requirePath("input"));
        String textColumn = o.get("text-column", "text");
        int partitions = o.getInt("partitions", 0, 1, 1 << 20);
        Path output = Path.of(o.requirePath("output"));
        boolean overwrite = o.flag(OVERWRITE);
        GraftTransformer t = transformer(o);
        if (o.has("batch-tokens")) {
            t.set(t.batchTokens(), o.getInt("batch-tokens", 4096, 16, 1 << 24));
        }
        if (o.has("max-length")) {
            t.set(t.maxLength(), o.getInt("max-length", 0, 2, 1 << 16));
        }
        t.set(t.inputCol(), textColumn);
        o.rejectUnknown();
        if (!output.getFileName().toString().endsWith(".parquet")) {
            throw new UsageException("--output must be a directory whose name ends in .parquet, got '" + output + "'");
        }
        String name = input.getFileName().toString();
        boolean csv = name.endsWith(".csv");
        if (!csv && !name.endsWith(".parquet")) {
            throw new UsageException("--input must be a .csv file or a .parquet file or directory, got '" + input + "'");
        }
        if (!Files.exists(input)) {
            throw new NoSuchFileException(input.toString(), null, "--input does not exist");
        }
        SavedDirectory.checkWritable(output, PARQUET, overwrite ? SavedDirectory.Existing.REPLACE : SavedDirectory.Existing.REFUSE);
        long t0 = System.nanoTime();
        SparkSession spark = SparkSession.builder().master(master).appName("graft spark " + name())
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> df = csv
                    ? spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                        .csv(input.toString())
                    : spark.read().parquet(input.toString());
            int want = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
            if (partitions > 0 ? df.rdd().getNumPartitions() != want : df.rdd().getNumPartitions() < want) {
                df = df.repartition(want);
            }
            int used = Math.max(want, df.rdd().getNumPartitions());
            Dataset<Row> result = t.transform(df);
            List<String> parts = new ArrayList<>();
            SavedDirectory.write(output, PARQUET, overwrite ? SavedDirectory.Existing.REPLACE : SavedDirectory.Existing.REFUSE,
                    tmp -> {
                        result.write().mode(SaveMode.Overwrite).parquet(tmp.toString());
                        try (var files = Files.list(tmp)) {
                            files.map(f -> f.getFileName().toString()).filter(f -> f.startsWith("part-")).forEach(parts::add);
                        }
                    });
            // the rows of this run's part files (from their Parquet footers: no recomputation; other files ignored)
            long[] rows = {parts.isEmpty() ? 0 : spark.read().parquet(parts.stream().map(f -> output.resolve(f).toString())
                    .toArray(String[]::new)).count()};
            double s = (System.nanoTime() - t0) / 1e9;
            err.printf(Locale.ROOT, "%s %s on %s in %d partitions in %.1f s (%s, Spark start included) → %s%n", verb(),
                    ProgressText.count(rows[0], "row", "rows"), master, used, s, ProgressText.rate(rows[0], s, "rows"), output);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
