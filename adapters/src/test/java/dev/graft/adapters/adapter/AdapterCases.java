package dev.graft.adapters.adapter;

import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.backbones.sites.SiteShape;
import dev.graft.core.kernels.Activation;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/** One case per adapter type (and placement) for the shared contract tests: how to make a fresh one. */
record AdapterCases(String name, Function<List<SiteShape>, Adapter> fresh) {

    @Override
    public String toString() {
        return name;
    }

    static Stream<AdapterCases> all() {
        return Stream.of(
                new AdapterCases("lora q,v r=4", s -> Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), s, 1)),
                new AdapterCases("lora all six r=2", s -> Lora.create(new LoraConfig(2, 3, 0.1f, Set.of(SiteKind.QUERY,
                        SiteKind.KEY, SiteKind.VALUE, SiteKind.ATTENTION_OUTPUT, SiteKind.INTERMEDIATE, SiteKind.OUTPUT),
                        null, false), s, 2)),
                new AdapterCases("lora output of layer 1", s -> Lora.create(new LoraConfig(3, 6, 0f,
                        Set.of(SiteKind.OUTPUT), List.of(1), true), s, 3)),
                new AdapterCases("houlsby", s -> Bottleneck.create(BottleneckConfig.houlsby(4), s, 4)),
                new AdapterCases("pfeiffer gelu", s -> Bottleneck.create(new BottleneckConfig(
                        BottleneckConfig.Placement.PFEIFFER, 2, Activation.GELU, true), s, 5)),
                new AdapterCases("ia3", s -> Ia3.create(Ia3Config.standard(), s)),
                new AdapterCases("ia3 peft default", s -> Ia3.create(Ia3Config.peftDefault(), s)),
                new AdapterCases("ia3 values of layer 0", s -> Ia3.create(new Ia3Config(Set.of(SiteKind.VALUE_SCALE),
                        List.of(0)), s)));
    }

    /** Sets every parameter to random values of about {@code scale} (around 1 for scalings). */
    static void randomize(Adapter a, long seed, double scale) {
        dev.graft.adapters.testing.AdapterTesting.randomize(a, seed, scale);
    }
}
