package dev.graft.samples.cli;

import dev.graft.adapters.train.ProgressText;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.fs.AtomicFiles;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.NonFiniteOutputException;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorColumns;
import dev.graft.core.tensor.TensorFileWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.Schema;

/** {@code embed}: one sentence embedding per input line, to JSON lines or an Arrow IPC file. */
final class EmbedCommand implements GraftCli.FlagCommand {
    static final int BATCH = 32;

    @Override
    public String name() {
        return "embed";
    }

    @Override
    public String summary() {
        return "sentence embeddings of every input line, to .jsonl or .arrow";
    }

    @Override
    public Set<String> flags() {
        return Set.of("normalize", OutputTargets.OVERWRITE);
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft embed [--model NAME|DIR] [--pooling mean|cls] [--normalize] [--prefix TEXT]
                                           [--max-length N] [--threads N] [--attention SPEC]
                                           --input FILE|- --output FILE.jsonl|FILE.arrow [--overwrite]

                Embeds each line of the input (UTF-8, one text per line, in order) and writes
                  .jsonl   one {"embedding":[…]} object per input line
                  .arrow   an Arrow IPC file with one column "embedding" of type arrow.fixed_shape_tensor
                           (float32, shape [hidden]), one row per input line (see docs/ARROW-LAYOUT.md)
                The output appears only when complete (written to a hidden temporary file beside it, then renamed;
                an interrupted run leaves neither). An existing output file is replaced only with --overwrite.
                e5-small-v2 expects "query: " or "passage: " before each text: --prefix 'query: '.
                Inputs longer than the token limit (512 for the embedded models) are truncated; standard error says
                how many and which lines.

                options:
                """ + BackboneOptions.USAGE + """

                  --normalize         scale every embedding to unit length
                  --prefix TEXT       put before every input line (e5-small-v2: 'query: ' or 'passage: ')
                  --input FILE|-      the texts ("-" reads standard input)
                  --output FILE       where to write; the extension picks the format
                """ + OutputTargets.USAGE;
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        BackboneOptions bo = BackboneOptions.read(o);
        boolean normalize = o.flag("normalize");
        String prefix = o.get("prefix", "");
        String input = o.require("input");
        Path output = Path.of(o.require("output"));
        boolean overwrite = o.flag(OutputTargets.OVERWRITE);
        o.rejectUnknown();
        String file = output.getFileName().toString();
        boolean arrow = file.endsWith(".arrow");
        if (!arrow && !file.endsWith(".jsonl")) {
            throw new UsageException("--output must end in .jsonl or .arrow, got '" + output + "'");
        }
        OutputTargets.checkFile(output, overwrite);
        List<String> lines = TextInput.lines(input, System.in);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(input + ": no lines to embed");
        }
        List<String> texts = prefix.isEmpty() ? lines : lines.stream().map(t -> prefix + t).toList();
        long t0 = System.nanoTime();
        try (BertBackbone bert = bo.open();
             TensorArena arena = TensorArena.root("embed")) {
            warnTruncated(bert, texts, input, arena, err);
            try {
                if (arrow) {
                    writeArrow(bert, bo, normalize, texts, output, arena);
                } else {
                    writeJsonl(bert, bo, normalize, texts, output, overwrite, arena);
                }
            } catch (NonFiniteOutputException e) { // nothing is written: name the line that made the NaN
                throw e.at(TextInput.where(input, e.input()), e.input());
            }
            double s = (System.nanoTime() - t0) / 1e9;
            err.printf(Locale.ROOT, "embedded %s with %s (%s pooling%s%s) in %.1f s (%s) → %s%n",
                    ProgressText.count(texts.size(), "text", "texts"), bo.model(),
                    bo.pooling().name().toLowerCase(java.util.Locale.ROOT), normalize ? ", normalized" : "",
                    prefix.isEmpty() ? "" : ", prefix '" + prefix + "'", s, ProgressText.rate(texts.size(), s, "texts"),
                    output);
        }
        return 0;
    }

    /**
     * Says on {@code err} how many inputs reach the backbone's token limit (and so lose any text past it), with their
     * line numbers; silent when none do.
     */
    static void warnTruncated(BertBackbone bert, List<String> texts, String input, TensorArena arena, PrintStream err) {
        int limit = bert.maxLength();
        List<Integer> lines = new ArrayList<>();
        for (int i = 0; i < texts.size(); i += BATCH) {
            try (TensorArena batch = arena.child("tokens")) {
                int[] lengths = bert.tokenize(texts.subList(i, Math.min(texts.size(), i + BATCH)), batch).lengths();
                for (int r = 0; r < lengths.length; r++) {
                    if (lengths[r] >= limit) {
                        lines.add(i + r + 1);
                    }
                }
            }
        }
        if (!lines.isEmpty()) {
            String shown = lines.stream().limit(10).map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
                    + (lines.size() > 10 ? ", …" : "");
            boolean one = lines.size() == 1;
            err.printf(Locale.ROOT, "warning: %s of %d %s the %d-token limit; text past it is cut off, not embedded (%s %s %s)%n",
                    ProgressText.count(lines.size(), "input", "inputs"), texts.size(), one ? "reaches" : "reach", limit,
                    input.equals("-") ? "standard input" : input, one ? "line" : "lines", shown);
        }
    }

    private static void writeJsonl(BertBackbone bert, BackboneOptions bo, boolean normalize, List<String> texts, Path output,
                                   boolean overwrite, TensorArena arena) throws IOException {
        AtomicFiles.write(output, overwrite, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (int i = 0; i < texts.size(); i += BATCH) {
                    try (TensorArena batch = arena.child("batch")) {
                        Tensor e = embedBatch(bert, bo, normalize, texts, i, batch);
                        float[] v = e.toFloatArray();
                        int h = e.dim(1);
                        StringBuilder sb = new StringBuilder(h * 12);
                        for (int r = 0; r < e.dim(0); r++) {
                            sb.setLength(0);
                            sb.append("{\"embedding\":[");
                            for (int c = 0; c < h; c++) {
                                if (c > 0) {
                                    sb.append(',');
                                }
                                sb.append(v[r * h + c]);
                            }
                            sb.append("]}\n");
                            w.write(sb.toString());
                        }
                    }
                }
            }
        });
    }

    /** Embeds texts {@code [from, from + BATCH)}; a non-finite embedding is reported by its index in {@code texts}. */
    private static Tensor embedBatch(BertBackbone bert, BackboneOptions bo, boolean normalize, List<String> texts, int from,
                                     TensorArena batch) {
        try {
            return bert.embed(texts.subList(from, Math.min(texts.size(), from + BATCH)), bo.pooling(), normalize, batch);
        } catch (NonFiniteOutputException e) {
            throw e.atInput(from + e.input());
        }
    }

    private static void writeArrow(BertBackbone bert, BackboneOptions bo, boolean normalize, List<String> texts, Path output,
                                   TensorArena arena) throws IOException {
        Schema schema = new Schema(List.of(TensorColumns.field("embedding", DType.F32, bert.config().hiddenSize())));
        try (TensorFileWriter w = TensorFileWriter.create(output, schema, arena.allocator())) {
            for (int i = 0; i < texts.size(); i += BATCH) {
                try (TensorArena batch = arena.child("batch")) {
                    Tensor e = embedBatch(bert, bo, normalize, texts, i, batch);
                    w.write(Map.of("embedding", e));
                }
            }
            w.commit();
        }
    }
}
