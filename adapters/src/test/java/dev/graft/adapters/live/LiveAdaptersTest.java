package dev.graft.adapters.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.AdapterShapeException;
import dev.graft.adapters.adapter.Adapters;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteHooks;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry on the real all-MiniLM-L6-v2: leases keep their version through swaps; memory follows the leases. */
class LiveAdaptersTest {
    private static BertBackbone backbone;
    private static TensorArena arena;
    private static TokenBatch batch;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        arena = TensorArena.root("live-adapters-test");
        batch = backbone.tokenize(List.of("Where is my card?", "I was charged twice for one coffee.",
                "A frozen backbone serves many adapted tasks.", "How do I top up by bank transfer?"), arena);
    }

    @AfterAll
    static void close() {
        arena.close();
        backbone.close();
    }

    /** What {@code adapter} gives when attached on its own, outside any registry. */
    private static float[] reference(Adapter adapter) {
        try (Adapters a = Adapters.attach(backbone.encoder(), List.of(adapter), arena)) {
            return RandomLoras.lastHidden(backbone, batch, a.hooks(), arena);
        }
    }

    @Test
    void aLeaseKeepsItsVersionThroughAReplaceAndTheOldVersionIsFreedWhenItCloses() {
        Lora v1 = RandomLoras.lora(backbone, 1);
        Lora v2 = RandomLoras.lora(backbone, 2);
        float[] out1 = reference(v1);
        float[] out2 = reference(v2);
        assertThat(RandomLoras.maxAbsDiff(out1, out2, 0, out1.length)).isGreaterThan(1e-2f);
        try (LiveAdapters live = LiveAdapters.create(backbone.encoder())) {
            assertThat(live.put("acme", v1)).isEqualTo(1);
            long oneVersion = live.allocatedBytes();
            assertThat(oneVersion).isPositive();
            AdapterLease old = live.acquire("acme");
            assertThat(live.put("acme", v2)).isEqualTo(2);
            assertThat(live.stats()).isEqualTo(new LiveAdapters.Stats(1, 1, 2, 0, 2 * oneVersion));
            // the call that started before the swap still computes v1, bit for bit; a new call gets v2
            assertThat(RandomLoras.lastHidden(backbone, batch, old.hooks(), arena)).containsExactly(out1);
            try (AdapterLease now = live.acquire("acme")) {
                assertThat(now.version()).isEqualTo(2);
                assertThat(now.sha256()).isEqualTo(ContentHash.of(v2)).isNotEqualTo(old.sha256());
                assertThat(RandomLoras.lastHidden(backbone, batch, now.hooks(), arena)).containsExactly(out2);
            }
            old.close();
            old.close(); // twice is harmless
            assertThat(live.stats()).isEqualTo(new LiveAdapters.Stats(1, 0, 2, 1, oneVersion));
            assertThatThrownBy(old::hooks).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void removeKeepsRunningCallsAndUnknownNamesListTheKnownOnes() {
        try (LiveAdapters live = LiveAdapters.create(backbone.encoder())) {
            live.put("acme", RandomLoras.lora(backbone, 3));
            live.put("globex", RandomLoras.lora(backbone, 4));
            float[] before;
            try (AdapterLease l = live.acquire("acme")) {
                before = RandomLoras.lastHidden(backbone, batch, l.hooks(), arena);
                assertThat(live.remove("acme")).isTrue();
                assertThat(live.remove("acme")).isFalse();
                assertThat(RandomLoras.lastHidden(backbone, batch, l.hooks(), arena)).containsExactly(before);
                assertThat(live.stats().retiredInUse()).isEqualTo(1);
            }
            assertThat(live.stats().retiredInUse()).isZero();
            assertThat(live.names()).containsExactly("globex");
            assertThatThrownBy(() -> live.acquire("acme")).isInstanceOf(UnknownAdapterException.class)
                    .hasMessage("unknown adapter 'acme' (known: globex)");
            assertThatThrownBy(() -> live.acquireAll(List.of("globex", "initech")))
                    .isInstanceOf(UnknownAdapterException.class).hasMessageContaining("'initech'");
            assertThat(live.stats().retiredInUse()).isZero(); // the globex lease taken first was given back
            assertThatThrownBy(() -> live.put("no/slash", RandomLoras.lora(backbone, 5)))
                    .hasMessageContaining("adapter name 'no/slash'");
        }
    }

    @Test
    void anAdapterThatDoesNotFitChangesNothing() {
        try (LiveAdapters live = LiveAdapters.create(backbone.encoder())) {
            live.put("acme", RandomLoras.lora(backbone, 6));
            String hash = live.sha256("acme");
            long bytes = live.allocatedBytes();
            List<dev.graft.backbones.sites.SiteShape> wider = backbone.encoder().sites().stream()
                    .filter(s -> s.site().kind() == SiteKind.QUERY)
                    .map(s -> new dev.graft.backbones.sites.SiteShape(s.site(), s.in() * 2, s.out())).toList();
            Lora misfit = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY), wider, 1);
            assertThatThrownBy(() -> live.put("acme", misfit)).isInstanceOf(AdapterShapeException.class);
            assertThat(live.sha256("acme")).isEqualTo(hash);
            assertThat(live.allocatedBytes()).isEqualTo(bytes);
            assertThat(live.stats().versionsPut()).isEqualTo(1); // a failed put takes no version number
            assertThat(live.put("acme", RandomLoras.lora(backbone, 7))).isEqualTo(2);
        }
    }

    @Test
    void closingTheRegistryWithALeaseOpenReleasesEverythingWhenTheLeaseCloses() {
        LiveAdapters live = LiveAdapters.create(backbone.encoder());
        Lora v = RandomLoras.lora(backbone, 7);
        live.put("acme", v);
        AdapterLease l = live.acquire("acme");
        live.close();
        assertThatThrownBy(() -> live.acquire("acme")).isInstanceOf(UnknownAdapterException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> live.put("acme", v)).isInstanceOf(IllegalStateException.class);
        assertThat(live.allocatedBytes()).isPositive();
        assertThat(RandomLoras.lastHidden(backbone, batch, l.hooks(), arena)).containsExactly(reference(v));
        l.close();
        assertThat(live.allocatedBytes()).isZero();
        assertThat(live.stats().versionsFreed()).isEqualTo(1);
    }

    @Test
    void theContentHashIsTheSameFromMemoryAndFromAPeftDirectoryAndChangesWithAnyValue(@TempDir Path dir) throws Exception {
        Lora v = RandomLoras.lora(backbone, 8);
        PeftIO.save(v, MiniLm.NAME, dir);
        Adapter loaded = PeftIO.load(dir, AdapterTypes.registry(), backbone.encoder().sites(), MiniLm.NAME);
        assertThat(ContentHash.of(loaded)).isEqualTo(ContentHash.of(v)).hasSize(64).matches("[0-9a-f]{64}");
        loaded.parameters().getFirst().values()[5] += 1e-6f;
        assertThat(ContentHash.of(loaded)).isNotEqualTo(ContentHash.of(v));
    }

    @Test
    void mixedRowsGiveEachRowWhatItsAdapterGivesAlone() {
        Lora a = RandomLoras.lora(backbone, 9);
        Lora b = RandomLoras.lora(backbone, 10);
        float[] plain = RandomLoras.lastHidden(backbone, batch, SiteHooks.NONE, arena);
        float[] withA = reference(a);
        float[] withB = reference(b);
        int rowFloats = plain.length / batch.batchSize();
        try (LiveAdapters live = LiveAdapters.create(backbone.encoder())) {
            live.put("a", a);
            live.put("b", b);
            List<String> rows = Arrays.asList("b", null, "a", "b");
            float[][] expected = {withB, plain, withA, withB};
            try (Leases call = live.acquireAll(Set.of("a", "b")); TensorArena out = arena.child("mixed")) {
                for (boolean allLayers : new boolean[] {false, true}) {
                    EncoderOutput o = call.encode(backbone.encoder(), batch, rows, allLayers, out);
                    float[] got = o.lastHidden().toFloatArray();
                    for (int r = 0; r < rows.size(); r++) {
                        assertThat(RandomLoras.maxAbsDiff(got, expected[r], r * rowFloats, (r + 1) * rowFloats))
                                .as("row %d (%s), all layers %s", r, rows.get(r), allLayers).isLessThanOrEqualTo(1e-5f);
                    }
                    assertThat(o.layers()).hasSize(allLayers ? backbone.config().numLayers() + 1 : 0);
                    if (allLayers) {
                        assertThat(o.layers().getLast()).isSameAs(o.lastHidden());
                    }
                }
                assertThatThrownBy(() -> call.encode(backbone.encoder(), batch, Arrays.asList("a", "c", null, null), false, out))
                        .isInstanceOf(UnknownAdapterException.class).hasMessage("unknown adapter 'c' in this call's leases (known: a, b)");
            }
        }
    }

    /**
     * Four threads acquire and release while a fifth replaces the adapter 200 times: every lease opens on a live
     * version (its hooks usable), and afterwards exactly the replaced versions are freed and only the current one's
     * memory is left.
     */
    @Test
    void concurrentAcquiresAndSwapsNeverHandOutAFreedVersionAndLeakNothing() throws Exception {
        List<Lora> versions = List.of(RandomLoras.lora(backbone, 11), RandomLoras.lora(backbone, 12));
        int swaps = 200;
        try (LiveAdapters live = LiveAdapters.create(backbone.encoder())) {
            live.put("acme", versions.get(0));
            long oneVersion = live.allocatedBytes();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch start = new CountDownLatch(1);
            AtomicBoolean done = new AtomicBoolean();
            List<Future<Long>> callers = new ArrayList<>();
            try {
                for (int t = 0; t < 4; t++) {
                    callers.add(pool.submit(() -> {
                        start.await();
                        long n = 0;
                        while (!done.get() || n == 0) {
                            try (AdapterLease l = live.acquire("acme")) {
                                assertThat(l.hooks().isEmpty()).isFalse();
                                assertThat(l.bytes()).isEqualTo(oneVersion);
                                n++;
                            }
                        }
                        return n;
                    }));
                }
                start.countDown();
                for (int i = 0; i < swaps; i++) {
                    live.put("acme", versions.get((i + 1) % 2));
                }
                done.set(true);
                long calls = 0;
                for (Future<Long> f : callers) {
                    calls += f.get();
                }
                assertThat(calls).isPositive();
            } finally {
                pool.shutdown();
                assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
            }
            assertThat(live.stats()).isEqualTo(new LiveAdapters.Stats(1, 0, swaps + 1, swaps, oneVersion));
        }
    }
}
