package dev.graft.samples.cli;

import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.compose.WordSplitter;
import dev.graft.adapters.data.ConlluDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.SourceLine;
import dev.graft.adapters.data.TaggedSentence;
import dev.graft.adapters.data.TextLines;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.tasks.ClassificationTask;
import dev.graft.adapters.tasks.TaggingTask;
import dev.graft.adapters.train.ProgressText;
import dev.graft.core.tensor.NonFiniteOutputException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code predict}: a saved head over unlabelled inputs, one JSON line per input. */
final class PredictCommand implements GraftCli.FlagCommand {

    @Override
    public String name() {
        return "predict";
    }

    @Override
    public String summary() {
        return "run a saved head over texts or CoNLL-U sentences, or a composed model over JSON requests; JSON lines out";
    }

    @Override
    public Set<String> flags() {
        return Set.of();
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft predict --head DIR --input FILE|- [--top K] [--batch-size N] [--threads N]
                                             [--model NAME|DIR]
                       samples/graft predict --model DIR --input FILE|- [--top K] [--batch-size N] [--threads N]
                                             [--backbone NAME|DIR]

                Runs the head (through the adapter saved beside it, if any) and writes one JSON object per input to
                standard output, in input order:
                  classification  {"text":…, "label":…, "score":…, "top":[{"label":…, "score":…}, …]}
                  tagging         {"words":[…], "tags":[…], "scores":[…], "entities":[{"type":…, "start":…, "end":…}]}
                                  words past the model's token limit (512) are not tagged: tag and score null,
                                  "untagged": their count, and a warning on standard error
                Input: one text per line ("-" reads standard input); for a tagging head a *.conllu file gives the
                words exactly, plain lines are split into words and punctuation.

                options:
                  --head DIR           a head saved by train-head (with its adapter, if it was trained with one)
                  --input FILE|-       the inputs
                  --top K              labels listed per text (classification; default 3)
                  --batch-size N       inputs per backbone pass (default 32)
                  --threads N          compute threads (default: all processors)
                  --model NAME|DIR     the backbone, when the one the head records is elsewhere (an embedded model
                                       or a model directory; its weights must be the ones the head was trained on)

                A composed model (--model DIR, saved by compose) reads one JSON request per line:
                  {"text": "…"}                     every head of the model
                  {"text": "…", "head": "NAME"}     one head
                  {"text": "…", "heads": ["A", …]}  these heads, in this order
                and writes one JSON line per input line, in input order:
                  {"line":N, "text":…, "outputs":{"NAME":{…the fields above for that head's kind…}, …}}
                  {"line":N, "text":…, "error":"…"}  a line that is not such a request, or names an unknown head
                Lines are read, run and written --batch-size at a time (rows asking for different heads share the
                batch). Exit code 0 when every line was answered, 3 when some lines got an error object (the
                others are answered; standard error lists the failed lines), 1 when the run stopped.
                  --model DIR          a composed model saved by compose (DIR/model.json)
                  --backbone NAME|DIR  its backbone, when the one model.json records is elsewhere""";
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        String headArg = o.get("head", null);
        String modelArg = o.get("model", null);
        String backboneArg = o.get("backbone", null);
        String input = o.require("input");
        int top = o.getInt("top", 3, 1, 1 << 16);
        int batch = o.getInt("batch-size", 32, 1, 1 << 16);
        int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        o.rejectUnknown();
        if (headArg == null) {
            return runComposed(modelArg, backboneArg, input, top, batch, threads, out, err);
        }
        if (backboneArg != null) {
            throw new UsageException("--backbone goes with --model DIR (a composed model); with --head, --model NAME|DIR"
                    + " names the backbone");
        }
        if (modelArg != null && SavedModel.isModel(Path.of(modelArg))) {
            throw new UsageException("--model " + modelArg + " is a composed model: run it without --head (each input"
                    + " line names its heads), or give --head DIR alone");
        }
        Path headDir = Path.of(headArg);
        String model = modelArg != null ? BackboneOptions.resolveModel(modelArg) : null;
        ObjectWriter line = Json.mapper().writer().without(SerializationFeature.INDENT_OUTPUT);
        long t0 = System.nanoTime();
        int count;
        try (SavedHead saved = SavedHead.open(headDir, threads, model)) {
            err.println("predicting with " + saved.describe());
            switch (saved.head().type()) {
                case "classification" -> {
                    List<SourceLine> sources = new ArrayList<>();
                    List<String> texts = texts(input, sources);
                    HeadOutput.Classification c;
                    try {
                        c = ClassificationTask.predict(saved.model(), SavedHead.NAME, texts, batch);
                    } catch (NonFiniteOutputException e) { // nothing is printed: name the line that made the NaN
                        throw located(e, sources);
                    }
                    for (int i = 0; i < texts.size(); i++) {
                        ObjectNode n = Json.mapper().createObjectNode();
                        n.put("text", texts.get(i));
                        out.println(line.writeValueAsString(classificationFields(n, c, i, top)));
                    }
                    count = texts.size();
                }
                case "tagging" -> {
                    List<SourceLine> sources = new ArrayList<>();
                    List<List<String>> sentences = sentences(input, sources);
                    HeadOutput.Tagging t;
                    try {
                        t = TaggingTask.predict(saved.model(), SavedHead.NAME, sentences, batch);
                    } catch (NonFiniteOutputException e) {
                        throw located(e, sources);
                    }
                    int cut = 0;
                    for (int i = 0; i < sentences.size(); i++) {
                        out.println(line.writeValueAsString(taggingLine(t, i)));
                        cut += t.untagged(i) > 0 ? 1 : 0;
                    }
                    if (cut > 0) {
                        err.printf("warning: %d words in %d inputs were not tagged (tag null): they are past the model's"
                                + " limit of %d tokens; split long inputs into sentences%n", t.untaggedWords(), cut,
                                saved.model().backbone().maxLength());
                    }
                    count = sentences.size();
                }
                default -> throw new UsageException("predict supports classification and tagging heads, not " + saved.head().type());
            }
        }
        err.printf(Locale.ROOT, "%s in %.1f s%n", ProgressText.count(count, "input", "inputs"), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** {@code predict --model DIR}: a composed model over JSON request lines. */
    private static int runComposed(String modelArg, String backboneArg, String input, int top, int batch, int threads,
                                   PrintStream out, PrintStream err) throws Exception {
        if (modelArg == null) {
            throw new UsageException("missing required option --head DIR (a head saved by train-head) or --model DIR"
                    + " (a composed model saved by compose)");
        }
        if (dev.graft.backbones.models.EmbeddedModels.names().contains(modelArg) && !Files.isDirectory(Path.of(modelArg))) {
            throw new UsageException("--model " + modelArg + " is a backbone: predict runs a head on it (--head DIR"
                    + " --model " + modelArg + "), or a composed model (--model DIR saved by compose)");
        }
        String backbone = backboneArg != null ? BackboneOptions.resolveModel(backboneArg) : null;
        long t0 = System.nanoTime();
        int code;
        long lines;
        try (SavedModel saved = SavedModel.open(Path.of(modelArg), threads, backbone)) {
            err.println("predicting with " + saved.describe());
            RoutedPredict.Result r = RoutedPredict.run(saved, input, System.in, batch, top, out, err);
            code = r.exitCode();
            lines = r.lines();
        }
        err.printf(Locale.ROOT, "%s in %.1f s%n", ProgressText.count(lines, "line", "lines"), (System.nanoTime() - t0) / 1e9);
        return code;
    }

    /**
     * The fields {@code predict} prints for text {@code i} of a classification output, added to {@code n}: the best
     * label and its score, and the {@code top} best labels with theirs.
     */
    static ObjectNode classificationFields(ObjectNode n, HeadOutput.Classification c, int i, int top) {
        var best = c.top(i, top);
        n.put("label", best.getFirst().label());
        n.put("score", best.getFirst().score());
        ArrayNode a = n.putArray("top");
        best.forEach(ls -> a.addObject().put("label", ls.label()).put("score", ls.score()));
        return n;
    }

    /**
     * One tagging result line; a word the model did not see (past the token limit) has tag and score {@code null}
     * and {@code "untagged"} counts them.
     */
    static ObjectNode taggingLine(HeadOutput.Tagging t, int i) {
        ObjectNode n = Json.mapper().createObjectNode();
        n.set("words", Json.mapper().valueToTree(t.words().get(i)));
        ArrayNode tags = n.putArray("tags");
        ArrayNode scores = n.putArray("scores");
        float[] s = t.scores().get(i);
        for (int w = 0; w < s.length; w++) {
            if (t.tagged(i, w)) {
                tags.add(t.tags().get(i).get(w));
                scores.add(s[w]);
            } else {
                tags.addNull();
                scores.addNull();
            }
        }
        n.set("entities", Json.mapper().valueToTree(t.spans().get(i)));
        if (t.untagged(i) > 0) {
            n.put("untagged", t.untagged(i));
        }
        return n;
    }

    /** The texts of {@code input}; where each was read is added to {@code sources}. */
    private static List<String> texts(String input, List<SourceLine> sources) throws java.io.IOException {
        List<LabeledText> lines = TextLines.read(input);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(input + ": no inputs");
        }
        lines.forEach(l -> sources.add(l.source()));
        return lines.stream().map(LabeledText::text).toList();
    }

    /** The sentences of {@code input} as words; where each was read is added to {@code sources}. */
    private static List<List<String>> sentences(String input, List<SourceLine> sources) throws java.io.IOException {
        if (!input.equals("-") && input.endsWith(".conllu")) {
            List<TaggedSentence> read = ConlluDataset.readUnlabeled(Path.of(input));
            read.forEach(s -> sources.add(s.source()));
            return read.stream().map(TaggedSentence::words).toList();
        }
        List<List<String>> out = new ArrayList<>();
        for (String text : texts(input, sources)) {
            out.add(WordSplitter.split(text));
        }
        return out;
    }

    /** {@code e} re-targeted at the file and line its input was read from (when known). */
    static NonFiniteOutputException located(NonFiniteOutputException e, List<SourceLine> sources) {
        SourceLine at = e.input() >= 0 && e.input() < sources.size() ? sources.get(e.input()) : null;
        return at == null ? e : e.at(at.toString(), e.input());
    }
}
