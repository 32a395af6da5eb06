package dev.graft.samples.cli;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.HeadIO;
import dev.graft.backbones.bert.BertBackbone;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code compose}: saved heads (each with its adapter, if any) saved together as one composed model. */
final class ComposeCommand implements GraftCli.FlagCommand, GraftCli.RepeatableCommand {

    @Override
    public String name() {
        return "compose";
    }

    @Override
    public String summary() {
        return "save several saved heads (with their adapters) as one composed model for predict --model";
    }

    @Override
    public Set<String> flags() {
        return Set.of(OutputTargets.OVERWRITE);
    }

    @Override
    public Set<String> repeatable() {
        return Set.of("head");
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft compose --head NAME=DIR [--head NAME=DIR …] [--backbone NAME|DIR] --output DIR
                                             [--overwrite]

                Loads each head saved by train-head (with the adapter saved beside it, if any), checks that every
                head was trained on the same backbone (by weights hash) under the same token limit, and saves them
                as one composed model: DIR/model.json (backbone, heads, adapters, provenance) and one directory per
                head under DIR/heads/NAME (the head and its adapter in PEFT's layout). The backbone is not copied.
                samples/graft predict --model DIR runs the model; each input line names the heads it wants.
                DIR must be new or empty, or hold a composed model saved earlier and --overwrite be given: then only
                the files Graft saved there are replaced. A new DIR appears only when complete.

                options:
                  --head NAME=DIR      a head saved by train-head, under the name requests use (letters, digits,
                                       '_', '-', '.'); repeat for every head, in the order the model lists them
                  --backbone NAME|DIR  the backbone the heads were trained on, when the one they record is
                                       elsewhere (an embedded model or a model directory; its weights must hash to
                                       the recorded ones). Default: the backbone the first head records
                  --output DIR         where the composed model is saved
                """ + OutputTargets.USAGE;
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        Map<String, Path> heads = heads(o.getAll("head"));
        String backboneModel = o.has("backbone") ? BackboneOptions.resolveModel(o.get("backbone", null)) : null;
        Path output = Path.of(o.requirePath("output"));
        boolean overwrite = o.flag(OutputTargets.OVERWRITE);
        o.rejectUnknown();
        OutputTargets.checkModelDirectory(output, overwrite);
        long t0 = System.nanoTime();

        Map<String, HeadIO.Loaded> loaded = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : heads.entrySet()) {
            loaded.put(e.getKey(), HeadIO.load(e.getValue(), HeadTypes.registry()));
        }
        checkSameTokenLimit(heads, loaded);
        // the backbone as the first head that records its token limit names it (every head is checked against it)
        String first = loaded.entrySet().stream().filter(e -> SavedHead.maxLength(e.getValue()) > 0)
                .map(Map.Entry::getKey).findFirst().orElse(loaded.keySet().iterator().next());
        try (BertBackbone backbone = SavedHead.backbone(heads.get(first), loaded.get(first), 1, backboneModel,
                "--backbone")) {
            BackboneInfo info = BackboneInfo.of(backbone);
            ComposedModel.Builder b = ComposedModel.builder().backbone(backbone);
            List<String> described = new ArrayList<>();
            for (Map.Entry<String, HeadIO.Loaded> e : loaded.entrySet()) {
                Path dir = heads.get(e.getKey());
                HeadIO.checkFits(e.getKey() + "=" + dir, e.getValue().head(), info);
                Adapter adapter = AdaptedHead.loadAdapter(dir, e.getValue(), AdapterTypes.registry(), backbone);
                b.head(e.getKey(), e.getValue().head(), adapter);
                described.add(e.getKey() + ": " + e.getValue().head().type()
                        + (adapter == null ? "" : " with adapter " + adapter.describe()) + " (" + dir + ")");
            }
            try (ComposedModel model = b.build()) {
                model.save(output);
            }
            err.printf(Locale.ROOT, "composed %d heads on %s:%n", loaded.size(), info.describe());
            described.forEach(d -> err.println("  " + d));
            err.printf(Locale.ROOT, "saved the composed model to %s in %.1f s%n", output, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    /** {@code NAME=DIR} values, in order; a missing or repeated name is a usage error. */
    private static Map<String, Path> heads(List<String> values) {
        if (values.isEmpty()) {
            throw new UsageException("missing required option --head NAME=DIR (one per head of the model)");
        }
        Map<String, Path> heads = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0 || eq == v.length() - 1) {
                throw new UsageException("--head needs NAME=DIR (a name for the head, '=', the directory train-head saved"
                        + " it in), got '" + v + "'");
            }
            String name = v.substring(0, eq);
            Path dir = Path.of(v.substring(eq + 1));
            Path before = heads.putIfAbsent(name, dir);
            if (before != null) {
                throw new UsageException("--head name '" + name + "' is given twice (" + name + "=" + before + " and "
                        + v + "); every head needs its own name");
            }
        }
        return heads;
    }

    /** The heads run on one backbone, so they must have been trained under one token limit. */
    private static void checkSameTokenLimit(Map<String, Path> dirs, Map<String, HeadIO.Loaded> loaded) {
        Map<Integer, List<String>> byLimit = new LinkedHashMap<>();
        loaded.forEach((name, l) -> {
            int limit = SavedHead.maxLength(l);
            if (limit > 0) {
                byLimit.computeIfAbsent(limit, k -> new ArrayList<>()).add(name + "=" + dirs.get(name));
            }
        });
        if (byLimit.size() > 1) {
            StringBuilder sb = new StringBuilder();
            byLimit.forEach((limit, names) -> sb.append(sb.isEmpty() ? "" : "; ").append(limit).append(" tokens: ")
                    .append(String.join(", ", names)));
            throw new IllegalArgumentException("the heads were trained under different token limits (" + sb + "); a"
                    + " composed model runs them on one backbone with one limit, so train them with the same --max-length");
        }
    }
}
