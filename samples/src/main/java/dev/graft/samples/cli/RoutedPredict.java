package dev.graft.samples.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Request;
import dev.graft.adapters.compose.RowResult;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.Json;
import dev.graft.adapters.train.ProgressText;
import dev.graft.core.tensor.NonFiniteOutputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code predict --model DIR --input requests.jsonl}: a composed model over JSON request lines. The input is read a
 * batch at a time; each batch's valid rows go to {@link ComposedModel#predictRows} in one call, and one JSON line
 * per input line is written, in input order, before the next batch is read. A line that is not a valid request,
 * or names a head the model does not have, is answered with an error object; the other lines are answered as usual.
 */
final class RoutedPredict {
    /** Exit code when every line was answered but some with an error object. */
    static final int SOME_LINES_FAILED = 3;
    private static final String EXAMPLE = "{\"text\": \"…\", \"head\": \"NAME\"}";
    private static final Set<String> FIELDS = Set.of("text", "head", "heads");
    /** Strict: a repeated key or anything after the object makes the line invalid, not silently half-read. */
    private static final ObjectReader REQUESTS = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build().reader();
    private static final ObjectWriter LINE = Json.mapper().writer().without(SerializationFeature.INDENT_OUTPUT);
    private static final int LISTED_LINES = 10;
    /** Jackson's "[Source: …; line: 1, column: 5]": the line is the input line, so the column is what says where. */
    private static final java.util.regex.Pattern SOURCE = java.util.regex.Pattern.compile(
            "\\[Source: [^\\]]*?; line: \\d+, column: (\\d+)\\]");

    private RoutedPredict() {
    }

    /** One input line read as a request, or the reason it is not one (then {@code text} is known or null). */
    record Parsed(Request request, String text, String error) {
        static Parsed failed(String text, String error) {
            return new Parsed(null, text, error);
        }
    }

    /** Reads one input line: {@code {"text": …}} with optionally {@code "head": NAME} or {@code "heads": [NAME, …]}. */
    static Parsed parse(String line) {
        if (line.isBlank()) {
            return Parsed.failed(null, "empty line; expected a JSON object such as " + EXAMPLE);
        }
        JsonNode n;
        try {
            n = REQUESTS.readTree(line);
        } catch (JsonProcessingException e) {
            return Parsed.failed(null, "not valid JSON (column " + e.getLocation().getColumnNr() + "): "
                    + SOURCE.matcher(e.getOriginalMessage()).replaceAll("column $1"));
        }
        if (n == null || !n.isObject()) {
            return Parsed.failed(null, "expected a JSON object such as " + EXAMPLE + ", got " + describe(n));
        }
        JsonNode text = n.get("text");
        String t = text != null && text.isTextual() ? text.asText() : null;
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                return Parsed.failed(t, "unknown field '" + field + "' (a request has \"text\" and optionally \"head\""
                        + " or \"heads\")");
            }
        }
        if (text == null) {
            return Parsed.failed(null, "no \"text\" field; expected a JSON object such as " + EXAMPLE);
        }
        if (t == null) {
            return Parsed.failed(null, "\"text\" must be a string, got " + describe(text));
        }
        if (t.isBlank()) {
            return Parsed.failed(t, "\"text\" is empty: there is nothing to encode");
        }
        JsonNode head = n.get("head");
        JsonNode heads = n.get("heads");
        if (head != null && heads != null) {
            return Parsed.failed(t, "give \"head\" or \"heads\", not both");
        }
        if (head != null) {
            if (!head.isTextual() || head.asText().isBlank()) {
                return Parsed.failed(t, "\"head\" must be a head's name, got " + describe(head));
            }
            return new Parsed(new Request(t, List.of(head.asText())), t, null);
        }
        if (heads != null) {
            if (!heads.isArray() || heads.isEmpty()) {
                return Parsed.failed(t, "\"heads\" must be a non-empty list of head names (leave it out to run every"
                        + " head), got " + describe(heads));
            }
            Set<String> names = new LinkedHashSet<>();
            for (JsonNode h : heads) {
                if (!h.isTextual() || h.asText().isBlank()) {
                    return Parsed.failed(t, "\"heads\" must hold head names, got " + describe(h));
                }
                if (!names.add(h.asText())) {
                    return Parsed.failed(t, "\"heads\" names '" + h.asText() + "' twice");
                }
            }
            return new Parsed(new Request(t, List.copyOf(names)), t, null);
        }
        return new Parsed(new Request(t, List.of()), t, null);
    }

    private static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        if (n.isNull()) {
            return "null";
        }
        String s = n.toString();
        return n.getNodeType().name().toLowerCase(Locale.ROOT) + " " + (s.length() > 40 ? s.substring(0, 40) + "…" : s);
    }

    /**
     * What a run did.
     *
     * @param lines    input lines answered
     * @param failed   of them, answered with an error object
     * @param exitCode 0, or {@link #SOME_LINES_FAILED} when some lines failed
     */
    record Result(long lines, long failed, int exitCode) {
    }

    /** Answers every line of {@code input}, a batch of {@code batchSize} lines at a time. */
    static Result run(SavedModel saved, String input, InputStream stdin, int batchSize, int top, PrintStream out,
                   PrintStream err) throws IOException {
        ComposedModel model = saved.model();
        String name = input.equals("-") ? "standard input" : input;
        Tally tally = new Tally();
        TextInput.batches(input, stdin, batchSize, (lines, firstLine) -> {
            List<Parsed> parsed = lines.stream().map(RoutedPredict::parse).toList();
            List<Request> requests = new ArrayList<>();
            List<Integer> lineOf = new ArrayList<>(); // request index → index in this batch
            for (int i = 0; i < parsed.size(); i++) {
                if (parsed.get(i).request() != null) {
                    requests.add(parsed.get(i).request());
                    lineOf.add(i);
                }
            }
            List<RowResult> results;
            try {
                results = requests.isEmpty() ? List.of() : model.predictRows(requests);
            } catch (NonFiniteOutputException e) { // the lines before were answered; name the line that overflowed
                throw e.input() >= 0 && e.input() < lineOf.size()
                        ? e.at(name + ":" + (firstLine + lineOf.get(e.input())), (int) (firstLine - 1 + lineOf.get(e.input())))
                        : e;
            }
            RowResult[] byLine = new RowResult[parsed.size()];
            for (RowResult r : results) {
                byLine[lineOf.get(r.index())] = r;
            }
            for (int i = 0; i < parsed.size(); i++) {
                long lineNumber = firstLine + i;
                Parsed p = parsed.get(i);
                String error = p.error() != null ? p.error() : byLine[i].error();
                ObjectNode n = Json.mapper().createObjectNode();
                n.put("line", lineNumber);
                if (p.text() != null) {
                    n.put("text", p.text());
                }
                if (error != null) {
                    n.put("error", error);
                    tally.failed(lineNumber);
                } else {
                    ObjectNode outputs = n.putObject("outputs");
                    for (Map.Entry<String, HeadOutput> e : byLine[i].outputs().entrySet()) {
                        outputs.set(e.getKey(), fields(e.getKey(), e.getValue(), top, tally));
                    }
                }
                out.println(LINE.writeValueAsString(n));
                tally.lines++;
            }
            out.flush();
        });
        if (tally.untaggedInputs > 0) {
            err.printf("warning: %d words in %d inputs were not tagged (tag null): they are past the model's limit of %d"
                    + " tokens; split long inputs into sentences%n", tally.untaggedWords, tally.untaggedInputs,
                    saved.backbone().maxLength());
        }
        if (tally.lines == 0) {
            throw new IllegalArgumentException(name + ": no inputs");
        }
        if (tally.failed > 0) {
            err.printf(Locale.ROOT, "warning: %d of %s failed (%s %s%s): their output lines hold \"error\" instead of"
                            + " \"outputs\" (exit code %d)%n", tally.failed, ProgressText.count(tally.lines, "line", "lines"),
                    tally.failed == 1 ? "line" : "lines", String.join(", ", tally.listed),
                    tally.failed > LISTED_LINES ? ", …" : "", SOME_LINES_FAILED);
        }
        return new Result(tally.lines, tally.failed, tally.failed > 0 ? SOME_LINES_FAILED : 0);
    }

    /** What {@code predict --head} prints for one input, for one head's output of one row. */
    private static ObjectNode fields(String head, HeadOutput output, int top, Tally tally) {
        return switch (output) {
            case HeadOutput.Classification c -> PredictCommand.classificationFields(Json.mapper().createObjectNode(), c, 0, top);
            case HeadOutput.Tagging t -> {
                if (t.untagged(0) > 0) {
                    tally.untaggedInputs++;
                    tally.untaggedWords += t.untagged(0);
                }
                yield PredictCommand.taggingLine(t, 0);
            }
            case HeadOutput.Regression r -> Json.mapper().createObjectNode().put("score", r.score(0));
            case HeadOutput.Embedding e -> {
                ObjectNode n = Json.mapper().createObjectNode();
                var a = n.putArray("embedding");
                for (float x : e.vector(0)) {
                    a.add(x);
                }
                yield n;
            }
            case HeadOutput.Custom c -> throw new IllegalStateException("head '" + head + "' returns "
                    + c.getClass().getName() + ", which predict cannot print");
        };
    }

    /** Counts over the whole input. */
    private static final class Tally {
        long lines;
        long failed;
        final List<String> listed = new ArrayList<>();
        long untaggedInputs;
        long untaggedWords;

        void failed(long line) {
            failed++;
            if (listed.size() < LISTED_LINES) {
                listed.add(Long.toString(line));
            }
        }
    }
}
