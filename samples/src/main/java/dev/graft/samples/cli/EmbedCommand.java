package dev.graft.samples.cli;

import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.fs.AtomicFiles;
import dev.graft.core.tensor.DType;
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
import java.util.List;
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
                usage: samples/graft embed [--model NAME|DIR] [--pooling mean|cls] [--normalize] [--max-length N]
                                           [--threads N] [--attention SPEC] --input FILE|- --output FILE.jsonl|FILE.arrow
                                           [--overwrite]

                Embeds each line of the input (UTF-8, one text per line, in order) and writes
                  .jsonl   one {"embedding":[…]} object per input line
                  .arrow   an Arrow IPC file with one column "embedding" of type arrow.fixed_shape_tensor
                           (float32, shape [hidden]), one row per input line (see docs/ARROW-LAYOUT.md)
                The output appears only when complete (written to a hidden temporary file beside it, then renamed;
                an interrupted run leaves neither). An existing output file is replaced only with --overwrite.
                e5-small-v2 expects "query: " or "passage: " before each text.

                options:
                """ + BackboneOptions.USAGE + """

                  --normalize         scale every embedding to unit length
                  --input FILE|-      the texts ("-" reads standard input)
                  --output FILE       where to write; the extension picks the format
                """ + OutputTargets.USAGE;
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        BackboneOptions bo = BackboneOptions.read(o);
        boolean normalize = o.flag("normalize");
        String input = o.require("input");
        Path output = Path.of(o.require("output"));
        boolean overwrite = o.flag(OutputTargets.OVERWRITE);
        o.rejectUnknown();
        String file = output.getFileName().toString();
        boolean arrow = file.endsWith(".arrow");
        if (!arrow && !file.endsWith(".jsonl")) {
            throw new UsageException("--output must end in .jsonl or .arrow, was " + output);
        }
        OutputTargets.checkFile(output, overwrite);
        List<String> texts = TextInput.lines(input, System.in);
        if (texts.isEmpty()) {
            throw new IllegalArgumentException(input + ": no lines to embed");
        }
        long t0 = System.nanoTime();
        try (BertBackbone bert = bo.open();
             TensorArena arena = TensorArena.root("embed")) {
            if (arrow) {
                writeArrow(bert, bo, normalize, texts, output, arena);
            } else {
                writeJsonl(bert, bo, normalize, texts, output, overwrite, arena);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            err.printf("embedded %d texts with %s (%s pooling%s) in %.1f s (%.0f texts/s) → %s%n", texts.size(), bo.model(),
                    bo.pooling().name().toLowerCase(java.util.Locale.ROOT), normalize ? ", normalized" : "", s,
                    texts.size() / s, output);
        }
        return 0;
    }

    private static void writeJsonl(BertBackbone bert, BackboneOptions bo, boolean normalize, List<String> texts, Path output,
                                   boolean overwrite, TensorArena arena) throws IOException {
        AtomicFiles.write(output, overwrite, tmp -> {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (int i = 0; i < texts.size(); i += BATCH) {
                    try (TensorArena batch = arena.child("batch")) {
                        Tensor e = bert.embed(texts.subList(i, Math.min(texts.size(), i + BATCH)), bo.pooling(), normalize, batch);
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

    private static void writeArrow(BertBackbone bert, BackboneOptions bo, boolean normalize, List<String> texts, Path output,
                                   TensorArena arena) throws IOException {
        Schema schema = new Schema(List.of(TensorColumns.field("embedding", DType.F32, bert.config().hiddenSize())));
        try (TensorFileWriter w = TensorFileWriter.create(output, schema, arena.allocator())) {
            for (int i = 0; i < texts.size(); i += BATCH) {
                try (TensorArena batch = arena.child("batch")) {
                    Tensor e = bert.embed(texts.subList(i, Math.min(texts.size(), i + BATCH)), bo.pooling(), normalize, batch);
                    w.write(Map.of("embedding", e));
                }
            }
            w.commit();
        }
    }
}
