package dev.graft.spark.cli;

import dev.graft.samples.cli.Options;
import dev.graft.samples.cli.UsageException;
import dev.graft.spark.GraftEmbedder;
import dev.graft.spark.GraftTransformer;
import java.util.Locale;

/** {@code samples/graft spark embed}: a text column's embeddings, by {@link GraftEmbedder}, to Parquet. */
final class SparkEmbedCommand extends SparkJob {
    @Override
    public String name() {
        return "spark embed";
    }

    @Override
    public String summary() {
        return "embeddings of a CSV/Parquet text column on Spark, to Parquet";
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft spark embed [--master local[N]] --input FILE.csv|FILE.parquet [--text-column C]
                                                 [--model NAME|DIR] [--pooling mean|cls] [--normalize] [--prefix TEXT]
                                                 [--output-type array|vector] --output DIR.parquet [--overwrite]

                Runs GraftEmbedder over the input on Spark: every input column, plus "embedding" (array<float>, or
                with --output-type vector an ml.linalg.Vector), one Parquet row per input row, partitions processed
                in token-budget batches on one backbone per JVM.

                options:
                """ + COMMON_USAGE + """
                  --model NAME|DIR    all-minilm-l6-v2 (default), bge-small-en-v15, e5-small-v2, or a model directory
                  --pooling mean|cls  (default mean)
                  --normalize         scale every embedding to unit length
                  --prefix TEXT       put before every text (e5-small-v2: 'query: ' or 'passage: ')
                  --output-type T     array (default) or vector
                """;
    }

    @Override
    String verb() {
        return "embedded";
    }

    @Override
    GraftTransformer transformer(Options o) {
        GraftEmbedder e = new GraftEmbedder().setModel(o.get("model", "all-minilm-l6-v2"))
                .setNormalize(o.flag("normalize")).setPrefix(o.get("prefix", ""));
        String pooling = o.get("pooling", "mean").toLowerCase(Locale.ROOT);
        if (!pooling.equals("mean") && !pooling.equals("cls")) {
            throw new UsageException("--pooling must be mean or cls, got '" + pooling + "'");
        }
        String type = o.get("output-type", "array");
        if (!type.equals("array") && !type.equals("vector")) {
            throw new UsageException("--output-type must be array or vector, got '" + type + "'");
        }
        return e.setPooling(pooling).setOutputType(type);
    }
}
