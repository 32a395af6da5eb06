package dev.graft.spark.cli;

import dev.graft.samples.cli.Options;
import dev.graft.spark.GraftPredictor;
import dev.graft.spark.GraftTransformer;

/** {@code samples/graft spark predict}: every head of a saved model on a text column, by {@link GraftPredictor}. */
final class SparkPredictCommand extends SparkJob {
    @Override
    public String name() {
        return "spark predict";
    }

    @Override
    public String summary() {
        return "every head of a saved model on a CSV/Parquet text column on Spark, to Parquet";
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft spark predict [--master local[N]] --input FILE.csv|FILE.parquet [--text-column C]
                                                   --model DIR [--backbone NAME|DIR] --output DIR.parquet [--overwrite]

                Runs GraftPredictor over the input on Spark: every input column, plus one struct column per head of the
                saved model (classification: label, score, probabilities; tagging: words, tags, scores; embedding:
                vector; regression: score), one backbone pass per batch.

                options:
                """ + COMMON_USAGE + """
                  --model DIR         a saved composed model (model.json) or a head saved by train-head
                  --backbone NAME|DIR the backbone, when the one recorded with the model has moved
                """;
    }

    @Override
    String verb() {
        return "predicted";
    }

    @Override
    GraftTransformer transformer(Options o) {
        GraftPredictor p = new GraftPredictor().setModelPath(o.requirePath("model"));
        if (o.has("backbone")) {
            p.setBackbone(o.requirePath("backbone"));
        }
        return p;
    }
}
