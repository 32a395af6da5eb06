package dev.graft.adapters.serving;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A built-in {@link ServingListener}: counts requests, failures, rejections and batches, the largest queue depth,
 * batch sizes and tokens per batch, and latency percentiles of successful requests. Latencies are kept in a
 * fixed-size reservoir (uniform sampling once full), so memory stays bounded however long it runs. Thread-safe.
 */
public final class ServingRecorder implements ServingListener {
    private static final int RESERVOIR = 1 << 18;

    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder batchedRequests = new LongAdder();
    private final LongAdder realTokens = new LongAdder();
    private final LongAdder paddedTokens = new LongAdder();
    private final AtomicLong maxBatch = new AtomicLong();
    private final AtomicLong maxQueueDepth = new AtomicLong();
    private final long[] latencies = new long[RESERVOIR];
    private long seen;
    private long random = 0x9E3779B97F4A7C15L;

    @Override
    public void batchRan(Batch batch) {
        batches.increment();
        batchedRequests.add(batch.requests());
        realTokens.add(batch.realTokens());
        paddedTokens.add(batch.paddedTokens());
        maxBatch.accumulateAndGet(batch.requests(), Math::max);
        maxQueueDepth.accumulateAndGet(batch.queueDepth(), Math::max);
    }

    @Override
    public void requestDone(long latencyNanos, Throwable failure) {
        if (failure != null) {
            failed.increment();
            return;
        }
        ok.increment();
        synchronized (latencies) {
            if (seen < RESERVOIR) {
                latencies[(int) seen] = latencyNanos;
            } else {
                random ^= random << 13;
                random ^= random >>> 7;
                random ^= random << 17;
                long slot = Math.floorMod(random, seen + 1);
                if (slot < RESERVOIR) {
                    latencies[(int) slot] = latencyNanos;
                }
            }
            seen++;
        }
    }

    @Override
    public void rejected(int queueCapacity) {
        rejected.increment();
    }

    /** What was recorded so far. */
    public Summary summary() {
        long[] sorted;
        synchronized (latencies) {
            sorted = Arrays.copyOf(latencies, (int) Math.min(seen, RESERVOIR));
        }
        Arrays.sort(sorted);
        long b = batches.sum();
        return new Summary(ok.sum(), failed.sum(), rejected.sum(), b,
                b == 0 ? 0 : batchedRequests.sum() / (double) b, (int) maxBatch.get(),
                b == 0 ? 0 : realTokens.sum() / (double) b, b == 0 ? 0 : paddedTokens.sum() / (double) b,
                (int) maxQueueDepth.get(),
                percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99), percentile(sorted, 1.0));
    }

    /** The p-quantile (nearest rank) of sorted values, in milliseconds; NaN when there are none. */
    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)] / 1e6;
    }

    /**
     * A snapshot.
     *
     * @param completed          requests answered normally
     * @param failed             requests completed exceptionally (bad input, failed rows, timeouts, cancellations)
     * @param rejected           submissions refused by a full queue
     * @param batches            batches run
     * @param meanBatch          mean requests per batch
     * @param maxBatch           largest batch
     * @param meanRealTokens     mean real tokens per batch
     * @param meanPaddedTokens   mean padded tokens (rows × longest) per batch
     * @param maxQueueDepth      most requests left queued when a batch was taken
     */
    public record Summary(long completed, long failed, long rejected, long batches, double meanBatch, int maxBatch,
                          double meanRealTokens, double meanPaddedTokens, int maxQueueDepth,
                          double p50Millis, double p90Millis, double p99Millis, double maxMillis) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d completed, %d failed, %d rejected; %d batches, %.1f requests/batch"
                            + " (max %d), %.0f real / %.0f padded tokens per batch, queue depth max %d;"
                            + " latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
                    completed, failed, rejected, batches, meanBatch, maxBatch, meanRealTokens, meanPaddedTokens,
                    maxQueueDepth, p50Millis, p90Millis, p99Millis, maxMillis);
        }
    }
}
