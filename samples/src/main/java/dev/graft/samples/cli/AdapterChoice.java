package dev.graft.samples.cli;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.train.AdapterTrainer;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.kernels.Activation;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code train-head --adapter …}: which adapter to train, its structure and the joint training schedule. */
record AdapterChoice(String type, LoraConfig lora, BottleneckConfig bottleneck, AdapterTrainer.Config trainer,
                     long seed) {

    /** The choice the options make, or null without {@code --adapter}. */
    static AdapterChoice read(Options o, long seed) {
        String type = o.get("adapter", null);
        if (type == null) {
            for (String name : List.of("lora-rank", "lora-alpha", "lora-dropout", "lora-targets", "reduction-factor",
                    "adapter-activation", "head-lr", "warmup", "clip", "backbone-dropout")) {
                if (o.has(name)) {
                    throw new UsageException("--" + name + " needs --adapter");
                }
            }
            return null;
        }
        type = type.toLowerCase(Locale.ROOT);
        for (String name : List.of("plateau", "balanced", "cache-dir")) {
            if (o.has(name)) {
                throw new UsageException("--" + name + " applies to head-only training, not with --adapter (whose "
                        + "learning rate warms up and decays linearly, over unweighted classes, on features computed anew)");
            }
        }
        Map<String, List<String>> only = Map.of(
                "lora", List.of("lora-rank", "lora-alpha", "lora-dropout", "lora-targets"),
                "houlsby", List.of("reduction-factor", "adapter-activation"),
                "pfeiffer", List.of("reduction-factor", "adapter-activation"));
        for (var e : only.entrySet()) {
            for (String name : e.getValue()) {
                if (o.has(name) && !only.getOrDefault(type, List.of()).contains(name)) {
                    throw new UsageException("--" + name + " applies to --adapter " + (name.startsWith("lora") ? "lora"
                            : "houlsby or pfeiffer") + ", not " + type);
                }
            }
        }
        LoraConfig lora = null;
        BottleneckConfig bottleneck = null;
        switch (type) {
            case "lora" -> lora = new LoraConfig(o.getInt("lora-rank", 8, 1, 4096),
                    (float) o.getDouble("lora-alpha", 16, 1e-6, 1e6), (float) o.getDouble("lora-dropout", 0.1, 0, 0.99),
                    targets(o.get("lora-targets", "query,value")), null, false);
            case "houlsby", "pfeiffer" -> bottleneck = new BottleneckConfig(
                    type.equals("houlsby") ? BottleneckConfig.Placement.HOULSBY : BottleneckConfig.Placement.PFEIFFER,
                    o.getInt("reduction-factor", 16, 1, 1 << 16), activation(o.get("adapter-activation", "relu")), true);
            case "ia3" -> {
            }
            default -> throw new UsageException("--adapter must be lora, houlsby, pfeiffer or ia3, got '" + type + "'");
        }
        AdapterTrainer.Config d = AdapterTrainer.Config.defaults();
        float dropout = (float) o.getDouble("backbone-dropout", d.hiddenDropout(), 0, 0.99);
        AdapterTrainer.Config cfg = new AdapterTrainer.Config(
                o.getInt("epochs", d.epochs(), 1, 1_000_000),
                o.getInt("batch-size", d.batchSize(), 1, 1 << 20),
                o.getDouble("lr", d.learningRate(), 1e-9, 10),
                o.getDouble("head-lr", d.headLearningRate(), 1e-9, 10),
                o.getDouble("weight-decay", d.weightDecay(), 0, 10),
                o.getDouble("warmup", d.warmupRatio(), 0, 1),
                o.getDouble("clip", d.maxGradNorm(), 0, 1e9),
                dropout, dropout, seed,
                o.getInt("patience", d.patience(), 1, 1_000_000));
        return new AdapterChoice(type, lora, bottleneck, cfg, seed);
    }

    /** A fresh adapter of the chosen type over the encoder's sites. */
    Adapter create(List<SiteShape> sites) {
        return switch (type) {
            case "lora" -> Lora.create(lora, sites, seed);
            case "houlsby", "pfeiffer" -> Bottleneck.create(bottleneck, sites, seed);
            default -> Ia3.create(Ia3Config.standard(), sites);
        };
    }

    private static Set<SiteKind> targets(String list) {
        Set<SiteKind> kinds = EnumSet.noneOf(SiteKind.class);
        for (String t : list.split(",")) {
            kinds.add(switch (t.trim().toLowerCase(Locale.ROOT)) {
                case "query", "q" -> SiteKind.QUERY;
                case "key", "k" -> SiteKind.KEY;
                case "value", "v" -> SiteKind.VALUE;
                case "attention-output", "attention.output.dense" -> SiteKind.ATTENTION_OUTPUT;
                case "intermediate", "intermediate.dense" -> SiteKind.INTERMEDIATE;
                case "output", "output.dense" -> SiteKind.OUTPUT;
                default -> throw new UsageException("--lora-targets: unknown projection '" + t.trim()
                        + "' (query, key, value, attention-output, intermediate, output)");
            });
        }
        return kinds;
    }

    private static Activation activation(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "relu" -> Activation.RELU;
            case "gelu" -> Activation.GELU;
            case "tanh" -> Activation.TANH;
            default -> throw new UsageException("--adapter-activation must be relu, gelu or tanh, got '" + name + "'");
        };
    }
}
