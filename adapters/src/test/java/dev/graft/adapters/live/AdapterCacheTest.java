package dev.graft.adapters.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.adapter.AdapterFormatException;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache over real PEFT directories on the real all-MiniLM-L6-v2; every figure is counted, none timed. */
class AdapterCacheTest {
    private static BertBackbone backbone;
    private static TensorArena arena;
    private static TokenBatch batch;
    @TempDir
    static Path root;
    /** Six adapters, a0 … a5, saved with PeftIO. */
    private static final List<Lora> LORAS = new ArrayList<>();
    /** Arrow bytes one attached adapter holds (all six have the same shapes). */
    private static long oneAdapter;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        arena = TensorArena.root("adapter-cache-test");
        batch = backbone.tokenize(List.of("Where is my card?", "I was charged twice."), arena);
        for (int i = 0; i < 6; i++) {
            Lora l = RandomLoras.lora(backbone, 100 + i);
            PeftIO.save(l, MiniLm.NAME, root.resolve("a" + i));
            LORAS.add(l);
        }
        try (AdapterCache probe = cache(1L << 30, Duration.ofSeconds(30)); AdapterLease l = probe.acquire("a0")) {
            oneAdapter = l.bytes();
        }
    }

    @AfterAll
    static void close() {
        arena.close();
        backbone.close();
    }

    private static AdapterCache cache(long budget, Duration wait) {
        return AdapterCache.builder().backbone(backbone).root(root).budgetBytes(budget).waitForRoom(wait).build();
    }

    private static float[] run(AdapterLease l) {
        return RandomLoras.lastHidden(backbone, batch, l.hooks(), arena);
    }

    @Test
    void loadsOnFirstUseServesHitsAfterwardsAndEvictsTheLeastRecentlyUsed() {
        try (AdapterCache cache = cache(3 * oneAdapter, Duration.ofSeconds(30))) {
            for (String name : List.of("a0", "a1", "a2", "a0", "a3")) { // a3 needs room: a1 is the least recently used
                try (AdapterLease l = cache.acquire(name)) {
                    assertThat(l.name()).isEqualTo(name);
                    assertThat(l.sha256()).isEqualTo(ContentHash.of(LORAS.get(name.charAt(1) - '0')));
                }
            }
            assertThat(cache.residentNames()).containsExactly("a2", "a0", "a3");
            AdapterCache.Stats s = cache.stats();
            assertThat(s.hits()).isEqualTo(1);
            assertThat(s.misses()).isEqualTo(4);
            assertThat(s.loads()).isEqualTo(4);
            assertThat(s.evictions()).isEqualTo(1);
            assertThat(s.heldBytes()).isEqualTo(3 * oneAdapter);
            assertThat(s.peakHeldBytes()).isLessThanOrEqualTo(3 * oneAdapter);
            assertThat(s.failedRequests()).isZero();
            assertThat(s.hitRate()).isEqualTo(0.2);
        }
    }

    @Test
    void anEvictedAdapterThatIsStillLeasedKeepsWorkingAndIsTakenBackWithoutReloading() throws Exception {
        try (AdapterCache cache = cache(3 * oneAdapter, Duration.ofSeconds(60))) {
            AdapterLease a0 = cache.acquire("a0");
            AdapterLease a1 = cache.acquire("a1");
            AdapterLease a2 = cache.acquire("a2");
            float[] before = run(a0);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                // every resident adapter is in use: a3's load evicts a0 (least recently used) and waits for memory
                Future<String> a3 = pool.submit(() -> {
                    try (AdapterLease l = cache.acquire("a3")) {
                        return l.sha256();
                    }
                });
                while (cache.stats().evictedInUse() == 0) {
                    Thread.onSpinWait(); // an event, not a time: the load has evicted a0 and is waiting
                }
                assertThat(cache.stats().heldBytes()).isLessThanOrEqualTo(3 * oneAdapter);
                assertThat(run(a0)).containsExactly(before);
                // asking for a0 again takes it back from its lease: a hit, no load
                AdapterLease again = cache.acquire("a0");
                assertThat(again.version()).isEqualTo(a0.version());
                assertThat(cache.stats().loads()).isEqualTo(4);
                again.close();
                a0.close(); // a0 is resident and idle now: a3's load evicts it and goes ahead
                assertThat(a3.get(1, TimeUnit.MINUTES)).isEqualTo(ContentHash.of(LORAS.get(3)));
            } finally {
                pool.shutdown();
            }
            a1.close();
            a2.close();
            AdapterCache.Stats s = cache.stats();
            assertThat(s.peakHeldBytes()).isLessThanOrEqualTo(3 * oneAdapter);
            assertThat(s.loads()).isEqualTo(4);
            assertThat(s.failedRequests()).isZero();
            assertThat(s.evictedInUse()).isZero();
        }
    }

    @Test
    void whenEveryAdapterIsInUseAndNoneComesBackTheCallFailsInsteadOfGoingOverTheBudget() {
        try (AdapterCache cache = cache(2 * oneAdapter, Duration.ZERO)) {
            try (AdapterLease a = cache.acquire("a0"); AdapterLease b = cache.acquire("a1")) {
                assertThatThrownBy(() -> cache.acquire("a2")).isInstanceOf(CacheFullException.class)
                        .hasMessageContaining("budget of " + 2 * oneAdapter + " bytes")
                        .hasMessageContaining("adapter 'a2'");
                assertThat(cache.heldBytes()).isLessThanOrEqualTo(2 * oneAdapter);
            }
            try (AdapterLease c = cache.acquire("a2")) { // not remembered as a failure: room now, so it loads
                assertThat(c.sha256()).isEqualTo(ContentHash.of(LORAS.get(2)));
            }
            assertThat(cache.stats().peakHeldBytes()).isLessThanOrEqualTo(2 * oneAdapter);
        }
        try (AdapterCache tiny = cache(oneAdapter / 2, Duration.ofSeconds(30))) {
            assertThatThrownBy(() -> tiny.acquire("a0")).isInstanceOf(CacheFullException.class)
                    .hasMessageContaining("more than the cache's whole budget");
        }
    }

    @Test
    void eightThreadsAskingForTheSameMissingAdapterCauseOneLoad() throws Exception {
        AtomicReference<AdapterCache> ref = new AtomicReference<>();
        AtomicInteger resolved = new AtomicInteger();
        // the load (the only caller of the directory function here) waits until the other seven have joined it
        try (AdapterCache cache = AdapterCache.builder().backbone(backbone).budgetBytes(4 * oneAdapter)
                .directories(name -> {
                    resolved.incrementAndGet();
                    while (ref.get().stats().joined() < 7) {
                        Thread.onSpinWait();
                    }
                    return root.resolve(name);
                }).build()) {
            ref.set(cache);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<AdapterLease>> leases = new ArrayList<>();
            try {
                for (int t = 0; t < 8; t++) {
                    leases.add(pool.submit(() -> {
                        start.await();
                        return cache.acquire("a4");
                    }));
                }
                start.countDown();
                Set<Long> versions = new HashSet<>();
                for (Future<AdapterLease> f : leases) {
                    try (AdapterLease l = f.get(1, TimeUnit.MINUTES)) {
                        versions.add(l.version());
                    }
                }
                assertThat(versions).hasSize(1);
            } finally {
                pool.shutdown();
            }
            AdapterCache.Stats s = cache.stats();
            assertThat(s.loads()).isEqualTo(1);
            assertThat(s.misses()).isEqualTo(8);
            assertThat(s.joined()).isEqualTo(7);
            assertThat(resolved.get()).isEqualTo(1); // asked once, by the one load
        }
    }

    @Test
    void aCorruptDirectoryFailsOnlyItsOwnCallsIsRememberedUntilRewrittenAndAnUnknownNameListsTheKnownOnes(
            @TempDir Path dirs) throws Exception {
        PeftIO.save(LORAS.get(0), MiniLm.NAME, dirs.resolve("good"));
        PeftIO.save(LORAS.get(1), MiniLm.NAME, dirs.resolve("broken"));
        PeftIO.save(LORAS.get(2), "bert-base-uncased", dirs.resolve("other-model"));
        Path weights = dirs.resolve("broken").resolve(PeftIO.WEIGHTS_FILE);
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated
        try (AdapterCache cache = AdapterCache.builder().backbone(backbone).root(dirs).budgetBytes(4 * oneAdapter).build()) {
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> cache.acquire("broken")).isInstanceOf(AdapterLoadException.class)
                        .hasMessageStartingWith("adapter 'broken' (" + dirs.resolve("broken") + ") cannot be loaded: "
                                + weights + ": ")
                        .hasCauseInstanceOf(AdapterFormatException.class);
                try (AdapterLease l = cache.acquire("good")) {
                    assertThat(l.sha256()).isEqualTo(ContentHash.of(LORAS.get(0)));
                }
            }
            assertThatThrownBy(() -> cache.acquire("other-model")).isInstanceOf(AdapterLoadException.class)
                    .hasMessageContaining(PeftIO.CONFIG_FILE).hasMessageContaining("bert-base-uncased");
            assertThatThrownBy(() -> cache.acquire("missing")).isInstanceOf(UnknownAdapterException.class)
                    .hasMessageContaining("unknown adapter 'missing'")
                    .hasMessageContaining("known: broken, good, other-model");
            AdapterCache.Stats s = cache.stats();
            assertThat(s.loads()).isEqualTo(4); // broken once (remembered), good once, other-model, missing
            assertThat(s.loadFailures()).isEqualTo(3);
            assertThat(s.failedRequests()).isEqualTo(5);
            assertThat(s.resident()).isEqualTo(1);
            // rewritten: loaded afresh
            PeftIO.save(LORAS.get(1), MiniLm.NAME, dirs.resolve("broken"));
            try (AdapterLease l = cache.acquire("broken")) {
                assertThat(l.sha256()).isEqualTo(ContentHash.of(LORAS.get(1)));
            }
            assertThat(cache.stats().loads()).isEqualTo(5);
            assertThatThrownBy(() -> cache.acquire("../good")).hasMessageContaining("adapter name '../good'");
        }
    }

    @Test
    void closingTheCacheWithALeaseOpenKeepsTheLeaseAndReleasesTheMemoryWhenItCloses() {
        AdapterCache cache = cache(3 * oneAdapter, Duration.ofSeconds(30));
        AdapterLease l = cache.acquire("a5");
        cache.acquire("a1").close();
        float[] before = run(l);
        cache.close();
        assertThatThrownBy(() -> cache.acquire("a5")).isInstanceOf(IllegalStateException.class);
        assertThat(cache.heldBytes()).isEqualTo(oneAdapter);
        assertThat(run(l)).containsExactly(before);
        l.close();
        assertThat(cache.heldBytes()).isZero();
    }
}
