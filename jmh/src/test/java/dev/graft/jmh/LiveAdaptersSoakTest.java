package dev.graft.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak runs of {@link LiveAdaptersSoak}, bounded (3 s, and at least 20 swaps or 40 cache requests): the same code
 * the full 60-second runs use, judged on counts only (no timing): 8 threads, the real backbone and sentences.
 */
class LiveAdaptersSoakTest {
    private static BertBackbone backbone;
    private static List<String> sentences;

    @BeforeAll
    static void open() throws Exception {
        backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).optMaxLength(128).build();
        sentences = BackboneWorkload.sentences();
    }

    @AfterAll
    static void close() {
        backbone.close();
    }

    @Test
    void hotSwapWhileEightThreadsCallFailsNothingMixesNothingAndLeavesTheMemoryAtItsBaseline() throws Exception {
        LiveAdaptersSoak.SwapResult r = LiveAdaptersSoak.hotSwap(backbone, sentences,
                new LiveAdaptersSoak.SwapConfig(8, Duration.ofSeconds(3), Duration.ofMillis(50), 4, 8, 20));
        System.out.println(r.report());
        assertThat(r.minSeparation()).isGreaterThan(1000 * LiveAdaptersSoak.TOLERANCE); // "equal to one version" is unambiguous
        assertThat(r.swaps()).isGreaterThanOrEqualTo(20);
        assertThat(r.calls()).isGreaterThanOrEqualTo(8);
        assertThat(r.problems()).isEmpty();
        assertThat(r.failed()).isZero();
        assertThat(r.mismatched()).isZero();
        assertThat(r.bytesAfter()).isEqualTo(r.baselineBytes());
        assertThat(r.retiredAfter()).isZero();
        assertThat(r.versionsFreed()).isEqualTo(r.versionsPut()); // every replaced version was released
        assertThat(r.callBytesAfter()).isZero();
        assertThat(r.bytesAfterClose()).isZero();
    }

    @Test
    void aCacheOfAHundredDirectoriesWithABudgetForTenNeverHoldsMoreAndFailsOnlyTheCorruptOnesRequests(@TempDir Path dir)
            throws Exception {
        LiveAdaptersSoak.CacheResult r = LiveAdaptersSoak.cache(backbone, sentences,
                new LiveAdaptersSoak.CacheConfig(8, Duration.ofSeconds(3), 100, 10, 0, 40, dir));
        System.out.println(r.report());
        assertThat(r.requests()).isGreaterThanOrEqualTo(40);
        assertThat(r.problems()).isEmpty();
        assertThat(r.otherFailures()).isZero();
        assertThat(r.wrongAdapter()).isZero();
        assertThat(r.corruptRequests()).isPositive();
        assertThat(r.corruptFailures()).isEqualTo(r.corruptRequests());
        assertThat(r.corruptMessage()).contains("adapter_model.safetensors");
        assertThat(r.served()).isEqualTo(r.requests() - r.corruptRequests());
        assertThat(r.sampledMaxHeld()).isLessThanOrEqualTo(r.budget());
        assertThat(r.stats().peakHeldBytes()).isLessThanOrEqualTo(r.budget());
        assertThat(r.stats().evictions()).isPositive();
        assertThat(r.stats().loadFailures()).isEqualTo(1); // the corrupt directory, read once, then remembered
        assertThat(r.heldAfterClose()).isZero();
    }
}
