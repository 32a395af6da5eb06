package dev.graft.samples.cli;

import static dev.graft.adapters.train.ProgressText.count;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TaggedSentence;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.metrics.ClassificationMetrics;
import dev.graft.adapters.metrics.EntityScores;
import dev.graft.adapters.metrics.TaggingMetrics;
import dev.graft.adapters.tasks.ClassificationTask;
import dev.graft.adapters.tasks.TaggingTask;
import dev.graft.core.tensor.NonFiniteOutputException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code eval}: a saved head on a labelled test file; a human summary, then one JSON line of metrics. */
final class EvalCommand implements GraftCli.FlagCommand {

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "evaluate a saved head on a labelled test file (last line: JSON metrics)";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft eval --head DIR --test FILE [--format csv|conllu] [--text-column NAME]
                                          [--label-column NAME] [--batch-size N] [--threads N] [--model NAME|DIR]

                Runs the head on its own backbone (recorded in the head; no --model needed), through the adapter
                saved beside it if there is one (adapter_config.json + adapter_model.safetensors), over the test file and
                prints a summary, then as the last line one JSON object: accuracy and macro_f1 for classification,
                token_accuracy for tagging (plus entity-level f1 when the tags are BIO). Words past the model's token
                limit are not tagged: they count as errors, and untagged_words says how many.

                options:
                  --head DIR           a head saved by train-head (with its adapter, if it was trained with one)
                  --test FILE          labelled data in the format the head was trained on
                """ + DataOptions.USAGE + """

                  --batch-size N       inputs per backbone pass (default 32)
                  --threads N          compute threads (default: all processors)
                  --model NAME|DIR     the backbone, when the one the head records is elsewhere (an embedded model
                                       or a model directory; its weights must be the ones the head was trained on)""";
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        Path headDir = Path.of(o.require("head"));
        Path test = Path.of(o.require("test"));
        DataOptions data = DataOptions.read(o);
        int batch = o.getInt("batch-size", 32, 1, 1 << 16);
        int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String model = o.has("model") ? BackboneOptions.resolveModel(o.get("model", null)) : null;
        o.rejectUnknown();
        long t0 = System.nanoTime();
        try (SavedHead saved = SavedHead.open(headDir, threads, model)) {
            err.println("evaluating " + saved.describe() + " on " + test);
            ObjectNode json = Json.mapper().createObjectNode();
            String type = saved.head().type();
            switch (type) {
                case "classification" -> {
                    List<LabeledText> examples = data.texts(test);
                    ClassificationMetrics m;
                    try {
                        m = ClassificationTask.evaluate(saved.model(), SavedHead.NAME, examples, batch);
                    } catch (NonFiniteOutputException e) { // no metric over NaN scores: name the line that made them
                        throw PredictCommand.located(e, examples.stream().map(LabeledText::source).toList());
                    }
                    out.printf(Locale.ROOT, "%s on %s: %s, accuracy %.4f (%,d correct), macro-F1 %.4f over %s%n",
                            headDir, test, count(m.total(), "text", "texts"), m.accuracy(), m.correct(), m.macroF1(),
                            count(m.presentClasses(), "class", "classes"));
                    json.put("accuracy", m.accuracy());
                    json.put("macro_f1", m.macroF1());
                    json.put("examples", m.total());
                }
                case "tagging" -> {
                    List<TaggedSentence> sentences = data.sentences(test);
                    TaggingMetrics m;
                    try {
                        m = TaggingTask.evaluate(saved.model(), SavedHead.NAME, sentences, batch);
                    } catch (NonFiniteOutputException e) {
                        throw PredictCommand.located(e, sentences.stream().map(TaggedSentence::source).toList());
                    }
                    out.printf(Locale.ROOT, "%s on %s: %s, %s, token accuracy %.4f%n", headDir, test,
                            count(sentences.size(), "sentence", "sentences"), count(m.tokens(), "word", "words"), m.tokenAccuracy());
                    if (m.untagged() > 0) {
                        String note = String.format(java.util.Locale.ROOT, "%d of the %d words were not tagged (past the model's limit of %d"
                                + " tokens) and count as errors", m.untagged(), m.tokens(), saved.model().backbone().maxLength());
                        out.println(note);
                        err.println("warning: " + note);
                    }
                    json.put("token_accuracy", m.tokenAccuracy());
                    json.put("words", m.tokens());
                    json.put("untagged_words", m.untagged());
                    if (m.entities().isPresent()) {
                        EntityScores e = m.entities().get();
                        out.printf(Locale.ROOT, "entities: precision %.4f, recall %.4f, F1 %.4f%n", e.precision(), e.recall(), e.f1());
                        json.put("f1", e.f1());
                        json.put("precision", e.precision());
                        json.put("recall", e.recall());
                    }
                }
                default -> throw new UsageException("eval supports classification and tagging heads, not " + type);
            }
            out.printf(Locale.ROOT, "(%.1f s)%n", (System.nanoTime() - t0) / 1e9);
            out.println(Json.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(json));
        }
        return 0;
    }
}
