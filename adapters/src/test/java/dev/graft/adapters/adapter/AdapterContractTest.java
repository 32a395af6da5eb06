package dev.graft.adapters.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.sites.SiteHooks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The checks every adapter type passes, one matrix over {@link AdapterCases#all()} on a tiny random BERT. */
class AdapterContractTest {
    @TempDir
    Path tmp;

    static java.util.stream.Stream<AdapterCases> cases() {
        return AdapterCases.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void freshAdapterLeavesEveryLayerBitIdentical(AdapterCases c) {
        try (TinyModel m = new TinyModel()) {
            float[] plain = m.encode(SiteHooks.NONE);
            Adapter a = c.fresh().apply(m.encoder.sites());
            assertThat(a.parameterCount()).isPositive();
            long before = m.arena.allocatedBytes();
            try (Adapters attached = Adapters.attach(m.encoder, List.of(a), m.arena)) {
                assertThat(attached.hooks().isEmpty()).isFalse();
                assertThat(m.encode(attached.hooks())).containsExactly(plain);
            }
            assertThat(m.arena.allocatedBytes()).as("the snapshot and every forward's scratch are released")
                    .isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void freshAdapterIsBitIdenticalOnTheScalarKernelsToo(AdapterCases c) {
        var kernels = new dev.graft.core.kernels.ScalarKernels(new dev.graft.core.parallel.ComputePool(1));
        try (TinyModel m = new TinyModel(dev.graft.backbones.huggingface.HfTestModels.TINY, 8, kernels)) {
            float[] plain = m.encode(SiteHooks.NONE);
            try (Adapters attached = Adapters.attach(m.encoder, List.of(c.fresh().apply(m.encoder.sites())), m.arena)) {
                assertThat(m.encode(attached.hooks())).containsExactly(plain);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void nonZeroAdapterChangesTheOutputAndSnapshotIsImmutable(AdapterCases c) {
        try (TinyModel m = new TinyModel()) {
            float[] plain = m.encode(SiteHooks.NONE);
            Adapter a = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 11, 0.3);
            try (Adapters attached = Adapters.attach(m.encoder, List.of(a), m.arena)) {
                float[] adapted = m.lastHidden(attached);
                assertThat(adapted).isNotEqualTo(java.util.Arrays.copyOfRange(plain, plain.length - adapted.length,
                        plain.length));
                // changing the parameters after attaching does not reach the attached snapshot
                AdapterCases.randomize(a, 12, 0.3);
                assertThat(m.lastHidden(attached)).containsExactly(adapted);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void saveAndLoadRoundTrip(AdapterCases c) throws Exception {
        try (TinyModel m = new TinyModel()) {
            Adapter a = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 21, 0.3);
            Path dir = tmp.resolve(c.name().replace(' ', '_'));
            PeftIO.save(a, "org/random-test-model", dir);
            Adapter back = PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), "random-test-model");
            assertThat(back.typeName()).isEqualTo(a.typeName());
            assertThat(back.describe()).isEqualTo(a.describe());
            assertThat(back.sites()).containsExactlyInAnyOrderElementsOf(a.sites());
            Map<String, float[]> saved = values(a);
            Map<String, float[]> loaded = values(back);
            assertThat(loaded.keySet()).isEqualTo(saved.keySet());
            saved.forEach((name, v) -> assertThat(loaded.get(name)).as(name).containsExactly(v));
            try (Adapters one = Adapters.attach(m.encoder, List.of(a), m.arena);
                 Adapters two = Adapters.attach(m.encoder, List.of(back), m.arena)) {
                assertThat(m.lastHidden(two)).containsExactly(m.lastHidden(one));
            }
            // saving again replaces the previous save
            PeftIO.save(back, "org/random-test-model", dir);
            assertThat(PeftIO.load(dir, AdapterTypes.registry(), m.encoder.sites(), null).parameterCount())
                    .isEqualTo(a.parameterCount());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void mergeWhereTheTypeAllowsIt(AdapterCases c) {
        try (TinyModel m = new TinyModel()) {
            Adapter a = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 31, 0.2);
            float[] frozenBefore = frozen(m);
            if (!a.mergeable()) {
                assertThatThrownBy(() -> Adapters.attachMerged(m.encoder, List.of(a), m.arena))
                        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining(a.typeName());
                return;
            }
            float[] plain = m.encode(SiteHooks.NONE);
            try (Adapters unmerged = Adapters.attach(m.encoder, List.of(a), m.arena);
                 Adapters merged = Adapters.attachMerged(m.encoder, List.of(a), m.arena)) {
                assertThat(merged.merged()).isTrue();
                float[] u = m.lastHidden(unmerged);
                float[] g = m.lastHidden(merged);
                for (int i = 0; i < u.length; i++) {
                    assertThat(g[i]).as("element %d", i).isCloseTo(u[i], within(1e-4f));
                }
                // the shared backbone keeps serving unmodified, before and after the merged copy is dropped
                assertThat(m.encode(SiteHooks.NONE)).containsExactly(plain);
            }
            assertThat(frozen(m)).containsExactly(frozenBefore);
            assertThat(m.encode(SiteHooks.NONE)).containsExactly(plain);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneBackboneServesDifferentlyAdaptedModelsAtOnce(AdapterCases c) throws Exception {
        try (TinyModel m = new TinyModel()) {
            Adapter a = c.fresh().apply(m.encoder.sites());
            Adapter b = c.fresh().apply(m.encoder.sites());
            AdapterCases.randomize(a, 41, 0.3);
            AdapterCases.randomize(b, 42, 0.3);
            float[] plain = m.encode(SiteHooks.NONE);
            try (Adapters ma = Adapters.attach(m.encoder, List.of(a), m.arena);
                 Adapters mb = Adapters.attach(m.encoder, List.of(b), m.arena)) {
                float[] ea = m.lastHidden(ma);
                float[] eb = m.lastHidden(mb);
                assertThat(ea).isNotEqualTo(eb);
                List<Function<Void, float[]>> calls = List.of(v -> m.lastHidden(ma), v -> m.lastHidden(mb),
                        v -> m.encode(SiteHooks.NONE));
                try (var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
                    for (int round = 0; round < 4; round++) {
                        var fa = pool.submit(() -> calls.get(0).apply(null));
                        var fb = pool.submit(() -> calls.get(1).apply(null));
                        var fp = pool.submit(() -> calls.get(2).apply(null));
                        assertThat(fa.get()).containsExactly(ea);
                        assertThat(fb.get()).containsExactly(eb);
                        assertThat(fp.get()).containsExactly(plain);
                    }
                }
            }
        }
    }

    private static Map<String, float[]> values(Adapter a) {
        return a.parameters().stream().collect(Collectors.toMap(Parameter::name, p -> p.values().clone()));
    }

    /** Every frozen projection weight of the tiny model, concatenated. */
    private static float[] frozen(TinyModel m) {
        List<float[]> parts = new java.util.ArrayList<>();
        for (var l : m.weights.layers()) {
            for (var lin : List.of(l.query(), l.key(), l.value(), l.attentionOutput(), l.intermediate(), l.output())) {
                parts.add(lin.weight().toFloatArray());
            }
        }
        int n = parts.stream().mapToInt(p -> p.length).sum();
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
