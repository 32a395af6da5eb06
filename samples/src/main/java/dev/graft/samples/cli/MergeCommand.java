package dev.graft.samples.cli;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.merge.LoraMerge;
import dev.graft.adapters.lora.merge.MajoritySign;
import dev.graft.adapters.lora.merge.MergeException;
import dev.graft.adapters.lora.merge.MergeMethod;
import dev.graft.adapters.lora.merge.MergeSpec;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.models.EmbeddedModels;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code merge}: LoRA adapters merged with weights into one (PEFT's add_weighted_adapter), saved or folded. */
final class MergeCommand implements GraftCli.FlagCommand, GraftCli.RepeatableCommand {

    @Override
    public String name() {
        return "merge";
    }

    @Override
    public String summary() {
        return "merge LoRA adapters with weights into one (linear, cat, svd, ties, dare_*, magnitude_prune)";
    }

    @Override
    public Set<String> flags() {
        return Set.of("fold", OutputTargets.OVERWRITE);
    }

    @Override
    public Set<String> repeatable() {
        return Set.of("adapter");
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft merge --adapter DIR[:WEIGHT] [--adapter DIR[:WEIGHT] ...] --method M
                                           [--density D] [--majority-sign total|frequency] [--svd-rank N] [--seed N]
                                           --output DIR [--fold] [--model NAME|DIR] [--overwrite]

                Merges LoRA adapters (PEFT directories, or heads trained with --adapter lora) into one, as PEFT's
                add_weighted_adapter does, and saves it in the PEFT layout (adapter_config.json +
                adapter_model.safetensors; r = lora_alpha, so its scaling is 1). With --fold, the merged update is
                folded into a copy of the backbone's weights instead, written as a Hugging Face model directory that
                --model DIR loads. Every adapter must be made for the same base model. See docs/ADAPTERS.md.

                options:
                  --adapter DIR[:WEIGHT]  an adapter directory and its weight (default 1; negative subtracts); repeat it
                  --method M              linear, cat, svd, ties, ties_svd, dare_linear, dare_ties, dare_linear_svd,
                                          dare_ties_svd, magnitude_prune, magnitude_prune_svd. linear, ties, dare_* and
                                          magnitude_prune need equal ranks; cat (rank = sum, exact) and *svd do not
                  --density D             share of elements kept, in (0, 1]: ties, dare_*, magnitude_prune (+ _svd)
                  --majority-sign M       total (default) or frequency: ties, dare_ties (+ _svd)
                  --svd-rank N            rank of an SVD method's result (default: the largest input rank)
                  --seed N                seed of the dare_* random masks (default 0)
                  --output DIR            where the merged adapter (or, with --fold, the folded model) goes
                  --fold                  write the backbone with the merged update folded into its weights
                  --model NAME|DIR        the backbone, when the one the adapters record is elsewhere
                """ + OutputTargets.USAGE;
    }

    /** One {@code --adapter} value. */
    record Weighted(Path dir, double weight) {
    }

    /** {@code DIR} or {@code DIR:WEIGHT}; a directory whose own name contains ':' is taken as a whole when it exists. */
    static Weighted parseAdapter(String value) {
        if (value.isBlank()) {
            throw new UsageException("--adapter needs an adapter directory, got ''");
        }
        int colon = value.lastIndexOf(':');
        if (colon < 0 || Files.isDirectory(Path.of(value))) {
            return new Weighted(Path.of(value), 1);
        }
        String dir = value.substring(0, colon);
        String w = value.substring(colon + 1).strip();
        double weight;
        try {
            weight = Double.parseDouble(w);
        } catch (NumberFormatException e) {
            weight = Double.NaN;
        }
        if (dir.isBlank() || !Double.isFinite(weight) || w.isEmpty()) {
            throw new UsageException("--adapter '" + value + "': expected DIR or DIR:WEIGHT with a finite number as the"
                    + " weight (e.g. heads/intent:0.7), got " + (dir.isBlank() ? "no directory" : "weight '" + w + "'"));
        }
        return new Weighted(Path.of(dir), weight);
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        List<Weighted> adapters = o.getAll("adapter").stream().map(MergeCommand::parseAdapter).toList();
        if (adapters.isEmpty()) {
            throw new UsageException("missing required option --adapter (give one --adapter DIR[:WEIGHT] per adapter)");
        }
        MergeMethod method;
        try {
            method = MergeMethod.parse(o.require("method"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--method: " + e.getMessage());
        }
        Double density = null;
        if (o.has("density")) {
            String d = o.get("density", null);
            try {
                density = Double.parseDouble(d.strip());
            } catch (NumberFormatException e) {
                throw new UsageException("--density must be a number in (0, 1], got '" + d + "'");
            }
        }
        MajoritySign sign = null;
        if (o.has("majority-sign")) {
            try {
                sign = MajoritySign.parse(o.get("majority-sign", null));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--majority-sign: " + e.getMessage());
            }
        }
        Integer svdRank = o.has("svd-rank") ? o.getInt("svd-rank", 0, 1, 1 << 16) : null;
        long seed = o.getLong("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
        if (o.has("seed") && !method.random()) {
            throw new UsageException("--seed applies to dare_linear, dare_ties and their _svd forms, not " + method.peftName());
        }
        MergeSpec spec;
        try {
            spec = new MergeSpec(method, density, sign, svdRank, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--method " + method.peftName() + ": " + e.getMessage());
        }
        Path output = Path.of(o.requirePath("output"));
        boolean fold = o.flag("fold");
        boolean overwrite = o.flag(OutputTargets.OVERWRITE);
        String model = o.has("model") ? BackboneOptions.resolveModel(o.get("model", null)) : null;
        o.rejectUnknown();
        if (fold && overwrite) {
            throw new UsageException("--overwrite does not apply with --fold: a folded model is only written into a new"
                    + " or empty directory");
        }
        if (fold) {
            try (var entries = Files.isDirectory(output) ? Files.list(output) : null) {
                if (Files.exists(output) && (entries == null || entries.findAny().isPresent())) {
                    throw new FileAlreadyExistsException(output.toString(), null, "exists and is not an empty directory;"
                            + " a folded model is only written into a new or empty directory");
                }
            }
        } else {
            OutputTargets.checkAdapterDirectory(output, overwrite);
        }
        List<Path> dirs = adapters.stream().map(Weighted::dir).toList();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                throw new NoSuchFileException(d.toString(), null, "no such adapter directory");
            }
        }
        String base = LoraMerge.commonBaseModel(dirs);
        String backboneName = model != null ? model : backboneOf(base);
        long t0 = System.nanoTime();
        try (BertBackbone backbone = Backbones.builder(backboneName).optThreads(1).build()) {
            List<LoraMerge.Input> inputs = new ArrayList<>();
            for (Weighted w : adapters) {
                // the adapters agree among themselves (commonBaseModel); with --model the backbone may be named otherwise
                Adapter a = PeftIO.load(w.dir(), AdapterTypes.registry(), backbone.encoder().sites(),
                        base == null || model != null ? null : backboneName);
                if (!(a instanceof Lora lora)) {
                    throw new MergeException(w.dir() + " holds a " + a.typeName() + " adapter; only LoRA adapters can be"
                            + " merged");
                }
                inputs.add(new LoraMerge.Input(w.dir().toString(), lora, w.weight()));
            }
            if (inputs.size() == 1 && method != MergeMethod.LINEAR) {
                err.println("note: one adapter is merged linearly, whatever the method (as PEFT does)");
            }
            Lora merged = LoraMerge.merge(inputs, spec);
            if (fold) {
                LoraMerge.fold(merged, backbone.checkpoint(), output);
            } else {
                PeftIO.save(merged, base != null ? base : backboneName, output);
            }
            out.printf(Locale.ROOT, "merged %d adapter%s (%s) into %s (%,d parameters)%s, saved to %s in %.1f s%n",
                    inputs.size(), inputs.size() == 1 ? "" : "s", describe(spec, inputs.size()), merged.describe(),
                    merged.parameterCount(), fold ? ", folded into a copy of " + backboneName : "", output,
                    (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    private static String describe(MergeSpec spec, int inputs) {
        if (inputs == 1) {
            return "linear";
        }
        StringBuilder sb = new StringBuilder(spec.method().peftName());
        if (spec.density() != null) {
            sb.append(", density ").append(spec.density());
        }
        if (spec.majoritySign() != null) {
            sb.append(", majority sign ").append(spec.majoritySign().peftName());
        }
        if (spec.svdRank() != null) {
            sb.append(", rank ").append(spec.svdRank());
        }
        if (spec.method().random()) {
            sb.append(", seed ").append(spec.seed());
        }
        return sb.toString();
    }

    /**
     * The backbone an adapter's {@code base_model_name_or_path} names: an embedded model (by name, or by the part after
     * the last '/' as in "sentence-transformers/all-MiniLM-L6-v2") or a model directory.
     */
    static String backboneOf(String base) {
        if (base == null) {
            throw new UsageException("no adapter records its base model (base_model_name_or_path); pass --model NAME|DIR");
        }
        String tail = base.strip().replaceAll("/+$", "");
        tail = tail.substring(tail.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        for (String name : EmbeddedModels.names()) {
            if (name.equals(base) || name.equalsIgnoreCase(tail)) {
                return name;
            }
        }
        if (Files.isDirectory(Path.of(base))) {
            return Path.of(base).toAbsolutePath().normalize().toString();
        }
        throw new UsageException("the adapters were made for '" + base + "', which is neither an embedded model ("
                + String.join(", ", EmbeddedModels.names()) + ") nor a directory here; pass --model NAME|DIR");
    }
}
