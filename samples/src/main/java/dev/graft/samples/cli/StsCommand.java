package dev.graft.samples.cli;

import dev.graft.adapters.train.ProgressText;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsEvaluator;
import dev.graft.backbones.eval.StsResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/** {@code sts}: Spearman correlation on the STS Benchmark, cosine of sentence embeddings vs gold scores. */
final class StsCommand implements Command {

    @Override
    public String name() {
        return "sts";
    }

    @Override
    public String summary() {
        return "STS Benchmark Spearman of a model's sentence embeddings (../shared/datasets/stsbenchmark)";
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft sts [--model NAME|DIR] [--pooling mean|cls] [--prefix TEXT] [--max-length N]
                                         [--threads N] [--attention SPEC] [--split test|dev|train] [--datasets DIR]

                Embeds both sentences of every pair, takes their cosine similarity, and prints the Spearman
                correlation with the gold scores; the last line is one JSON object.

                options:
                """ + BackboneOptions.USAGE + """

                  --prefix TEXT       put before every sentence (e5-small-v2 expects "query: ")
                  --split NAME        test (default), dev or train
                  --datasets DIR      the folder holding stsbenchmark/sts-{train,dev,test}.csv
                                      (default: ../shared/datasets beside the project)""";
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        BackboneOptions bo = BackboneOptions.read(o);
        String prefix = o.get("prefix", "");
        StsBenchmark.Split split;
        try {
            split = StsBenchmark.Split.valueOf(o.get("split", "test").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--split must be test, dev or train, got '" + o.get("split", "") + "'");
        }
        String datasets = o.get("datasets", System.getProperty("graft.shared.dir", "../shared") + "/datasets");
        if (datasets.isBlank()) {
            throw new UsageException("--datasets needs a directory, got ''");
        }
        o.rejectUnknown();
        // DIR/stsbenchmark/sts-<split>.csv, whatever DIR is called
        Path file = Path.of(datasets).resolve("stsbenchmark").resolve(split.fileName());
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the STS Benchmark " + split.name().toLowerCase(Locale.ROOT)
                    + " split is not there; --datasets names the folder holding stsbenchmark/ (see ../shared/datasets/README.md)");
        }
        StsEvaluator evaluator = new StsEvaluator(StsBenchmark.read(file));
        try (BertBackbone bert = bo.open()) {
            long t0 = System.nanoTime();
            StsResult r = evaluator.evaluate(texts -> bert.embed(texts.stream().map(s -> prefix + s).toList(), bo.pooling(), false), 64);
            double s = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "%s, %s pooling%s, max %d tokens, attention %s: STS-B %s Spearman %.4f (Pearson %.4f) over %d pairs; "
                            + "%d sentences in %.1f s (%s)%n",
                    bo.model(), bo.pooling().name().toLowerCase(Locale.ROOT), prefix.isEmpty() ? "" : ", prefix '" + prefix + "'",
                    bert.maxLength(), bo.attention(), split.name().toLowerCase(Locale.ROOT), r.spearman(), r.pearson(), r.pairs(),
                    r.sentences(), s, ProgressText.rate(r.sentences(), s, "sentences"));
            out.printf(Locale.ROOT, "{\"model\":\"%s\",\"attention\":\"%s\",\"split\":\"%s\",\"spearman\":%.5f,\"pearson\":%.5f,\"pairs\":%d,\"sentences_per_second\":%.1f}%n",
                    bo.model().replace("\"", "\\\""), bo.attention(), split.name().toLowerCase(Locale.ROOT), r.spearman(), r.pearson(), r.pairs(),
                    r.sentences() / s);
        }
        return 0;
    }
}
