package dev.graft.spark.cli;

import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsPair;
import dev.graft.core.backbone.Pooling;
import dev.graft.samples.cli.GraftCli;
import dev.graft.samples.cli.Options;
import dev.graft.spark.GraftEmbedder;
import dev.graft.spark.GraftModels;
import dev.graft.spark.TokenBudgetBatches;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code samples/graft spark bench}: GraftEmbedder on a local master against Graft's single-JVM embedding with the
 * same number of threads, on the same texts (banking77 train questions and STS-B train sentences, half each), in one
 * JVM and one run. Single JVM, two ways: one caller on a backbone with N GEMM threads, and N callers on a backbone
 * with one thread each (the way Spark's N concurrent tasks share the executor's backbone). Every way runs the same
 * token-budget batches ({@link TokenBudgetBatches}) and is warmed up first.
 */
final class SparkBenchCommand implements GraftCli.FlagCommand {
    @Override
    public String name() {
        return "spark bench";
    }

    @Override
    public String summary() {
        return "texts/s of GraftEmbedder on local[N] vs Graft's single-JVM embedding with N threads";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft spark bench [--master local[N]] [--texts 10000] [--partitions P] [--model NAME|DIR]
                                                 [--batch-tokens 4096] [--rounds 1] [--datasets DIR]

                Embeds the same texts (half banking77 train questions, half STS-B train sentences, from
                DIR/banking77 and DIR/stsbenchmark; default ../shared/datasets) three ways in this JVM, after a warm-up:
                  single-jvm-1x<N>   one caller, backbone with N GEMM threads
                  single-jvm-<N>x1   N callers, backbone with 1 thread each
                  spark-local[N]-Nx1 GraftEmbedder on the master with threads 1, the default (N tasks at once, 1 thread each),
                                     written to Spark's noop sink
                  spark-local[N]-1xN threads 0: the tasks take turns running a batch on N threads
                and prints texts/s of each and Spark's ratio to the better single-JVM way, per round.
                """;
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        String master = o.get("master", "local[2]");
        int n = o.getInt("texts", 10_000, 10, 1_000_000);
        String model = o.get("model", "all-minilm-l6-v2");
        int batchTokens = o.getInt("batch-tokens", 4096, 16, 1 << 24);
        int rounds = o.getInt("rounds", 1, 1, 100);
        int partitionsOpt = o.getInt("partitions", 0, 1, 1 << 16);
        Path datasets = Path.of(o.get("datasets", System.getProperty("graft.shared.dir", "../shared") + "/datasets"));
        o.rejectUnknown();
        List<String> texts = texts(datasets, n);
        SparkSession spark = SparkSession.builder().master(master).appName("graft spark bench")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            int threads = spark.sparkContext().defaultParallelism();
            int partitions = partitionsOpt > 0 ? partitionsOpt : 2 * threads;
            StructType schema = new StructType().add("text", DataTypes.StringType);
            List<Row> rows = texts.stream().map(t -> RowFactory.create(t)).toList();
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Dataset<Row> df = spark.createDataFrame(jsc.parallelize(rows, partitions), schema).cache();
            df.count();
            GraftEmbedder embedder = new GraftEmbedder().setModel(model).setBatchTokens(batchTokens).setThreads(1);
            GraftEmbedder gated = new GraftEmbedder().setModel(model).setBatchTokens(batchTokens).setThreads(0);
            List<int[]> batches = TokenBudgetBatches.plan(texts, batchTokens, embedder.getMaxBatchRows(), 512);
            err.printf(Locale.ROOT, "%d texts (%d banking77, %d STS-B), %d batches of ≤ %d tokens, %s, %d partitions%n",
                    texts.size(), (n + 1) / 2, n / 2, batches.size(), batchTokens, master, partitions);
            try (BertBackbone wide = Backbones.builder(model).optThreads(threads).build();
                 BertBackbone narrow = Backbones.builder(model).optThreads(1).build()) {
                List<String> warm = texts.subList(0, Math.min(texts.size(), 1000));
                List<int[]> warmBatches = TokenBudgetBatches.plan(warm, batchTokens, embedder.getMaxBatchRows(), 512);
                oneCaller(wide, warm, warmBatches);
                callers(narrow, warm, warmBatches, threads);
                Dataset<Row> warmRows = spark.createDataFrame(jsc.parallelize(rows.subList(0, warm.size()), partitions), schema);
                spark(embedder, warmRows);
                spark(gated, warmRows);
                out.println("round,way,texts,seconds,texts_per_s");
                for (int r = 1; r <= rounds; r++) {
                    double a = oneCaller(wide, texts, batches);
                    report(out, r, "single-jvm-1x" + threads, n, a);
                    double b = callers(narrow, texts, batches, threads);
                    report(out, r, "single-jvm-" + threads + "x1", n, b);
                    double s = spark(embedder, df);
                    report(out, r, "spark-" + master + "-" + threads + "x1", n, s);
                    double g = spark(gated, df);
                    report(out, r, "spark-" + master + "-1x" + threads, n, g);
                    out.printf(Locale.ROOT, "%d,spark-%dx1/best-single-jvm,%d,,%.3f%n", r, threads, n, Math.min(a, b) / s);
                    out.printf(Locale.ROOT, "%d,spark-1x%d/best-single-jvm,%d,,%.3f%n", r, threads, n, Math.min(a, b) / g);
                }
            }
            err.printf("backbones opened for Spark in this JVM: %d%n", GraftModels.backbonesOpened());
        } finally {
            spark.stop();
        }
        return 0;
    }

    private static void report(PrintStream out, int round, String way, int n, double seconds) {
        out.printf(Locale.ROOT, "%d,%s,%d,%.2f,%.1f%n", round, way, n, seconds, n / seconds);
    }

    /** Seconds to embed every batch on one thread that calls the backbone (which splits its GEMMs over its threads). */
    static double oneCaller(BertBackbone bert, List<String> texts, List<int[]> batches) {
        long t0 = System.nanoTime();
        for (int[] b : batches) {
            bert.embed(pick(texts, b), Pooling.MEAN, false);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Seconds to embed every batch with {@code callers} threads taking batches from one queue. */
    static double callers(BertBackbone bert, List<String> texts, List<int[]> batches, int callers) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < batches.size(); i = next.getAndIncrement()) {
                        bert.embed(pick(texts, batches.get(i)), Pooling.MEAN, false);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            pool.shutdown();
        }
    }

    /** Seconds for the whole Spark job: every partition embedded, the result consumed by the noop sink. */
    static double spark(GraftEmbedder embedder, Dataset<Row> df) {
        long t0 = System.nanoTime();
        embedder.transform(df).write().format("noop").mode("overwrite").save();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static List<String> pick(List<String> texts, int[] batch) {
        List<String> in = new ArrayList<>(batch.length);
        for (int i : batch) {
            in.add(texts.get(i));
        }
        return in;
    }

    /** Half banking77 train questions, half STS-B train sentences (first then second of each pair), interleaved. */
    static List<String> texts(Path datasets, int n) throws java.io.IOException {
        List<String> banking = CsvDataset.read(datasets.resolve("banking77/train.csv"), "text", "category").stream()
                .map(LabeledText::text).toList();
        List<String> sts = new ArrayList<>();
        for (StsPair p : StsBenchmark.read(datasets.resolve("stsbenchmark/sts-train.csv"))) {
            sts.add(p.sentence1());
            sts.add(p.sentence2());
        }
        int nb = (n + 1) / 2;
        int ns = n / 2;
        if (banking.size() < nb || sts.size() < ns) {
            throw new IllegalArgumentException("--texts " + n + ": the datasets have " + banking.size()
                    + " banking77 questions and " + sts.size() + " STS-B sentences; at most "
                    + 2 * Math.min(banking.size(), sts.size()) + " texts");
        }
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; i < Math.max(nb, ns); i++) {
            if (i < nb) {
                texts.add(banking.get(i));
            }
            if (i < ns) {
                texts.add(sts.get(i));
            }
        }
        return texts;
    }
}
