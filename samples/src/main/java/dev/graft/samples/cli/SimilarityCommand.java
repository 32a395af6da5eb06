package dev.graft.samples.cli;

import dev.graft.adapters.train.ProgressText;
import dev.graft.backbones.bert.BertBackbone;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** {@code similarity}: the main demo — embed a few sentences and print their pairwise cosine similarities. */
final class SimilarityCommand implements Command {
    static final List<String> DEFAULT_SENTENCES = List.of(
            "A man is playing a guitar.",
            "Someone is playing an instrument.",
            "A woman is slicing an onion.",
            "A chef is cutting vegetables in the kitchen.",
            "The stock market fell sharply today.");

    @Override
    public String name() {
        return "similarity";
    }

    @Override
    public String summary() {
        return "embed a few sentences with a model and print their pairwise cosine similarities";
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft similarity [--model NAME|DIR] [--threads N] [--input FILE|-]

                Embeds the sentences (five built-in ones, or one per line of --input), L2-normalised, and prints
                the matrix of cosine similarities.

                options:
                """ + BackboneOptions.USAGE + """

                  --input FILE|-      sentences, one per line (default: five built-in sentences)""";
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        BackboneOptions bo = BackboneOptions.read(o);
        String input = o.get("input", null);
        o.rejectUnknown();
        List<String> sentences = input == null ? DEFAULT_SENTENCES : TextInput.lines(input, System.in);
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException(input + ": no sentences");
        }
        try (BertBackbone bert = bo.open()) {
            long t0 = System.nanoTime();
            float[][] e = bert.embed(sentences, bo.pooling(), true);
            double ms = (System.nanoTime() - t0) / 1e6;
            out.printf(Locale.ROOT, "%s — %d layers, hidden %d, %s pooling, kernels %s × %s; %s embedded in %.0f ms%n%n",
                    bo.model(), bert.config().numLayers(), bert.config().hiddenSize(),
                    bo.pooling().name().toLowerCase(java.util.Locale.ROOT), bert.kernels().name(),
                    ProgressText.count(bert.kernels().threads(), "thread", "threads"),
                    ProgressText.count(sentences.size(), "sentence", "sentences"), ms);
            for (int i = 0; i < sentences.size(); i++) {
                out.printf(Locale.ROOT, "  [%d] %s%n", i, sentences.get(i));
            }
            out.println();
            out.print("      ");
            for (int j = 0; j < sentences.size(); j++) {
                out.printf(Locale.ROOT, "   [%d]", j);
            }
            out.println();
            for (int i = 0; i < sentences.size(); i++) {
                out.printf(Locale.ROOT, "  [%d] ", i);
                for (int j = 0; j < sentences.size(); j++) {
                    double dot = 0;
                    for (int c = 0; c < e[i].length; c++) {
                        dot += e[i][c] * e[j][c];
                    }
                    out.printf(Locale.ROOT, " %6.3f", dot);
                }
                out.println();
            }
        }
        return 0;
    }
}
