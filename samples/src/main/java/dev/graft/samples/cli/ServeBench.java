package dev.graft.samples.cli;

import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Predictions;
import dev.graft.adapters.serving.QueueFullException;
import dev.graft.adapters.serving.ServingFront;
import dev.graft.adapters.serving.ServingListener;
import dev.graft.adapters.serving.ServingRecorder;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.function.Consumer;

/**
 * {@code bench --serve}: N concurrent callers, each sending one text at a time, first calling the composed model
 * directly, then through a {@link ServingFront}; throughput and latency percentiles of both, a check that every
 * request was answered exactly once and that each answer equals the direct single call of its text (≤ 1e-5), and
 * optionally an overload run at a multiple of the rate the front sustained.
 */
final class ServeBench {
    private final ComposedModel model;
    private final List<String> pool;
    private final int callers;
    private final int seconds;
    private final PrintStream out;
    /** Text → the intent probabilities of its direct single call. */
    private final Map<String, float[]> reference = new ConcurrentHashMap<>();

    ServeBench(ComposedModel model, List<String> pool, int callers, int seconds, PrintStream out) {
        this.model = model;
        this.pool = pool;
        this.callers = callers;
        this.seconds = seconds;
        this.out = out;
    }

    /** What one closed-loop run measured. */
    record Run(long requests, double perSecond, ServingRecorder.Summary latency) {
    }

    /** Callers calling the model directly, one text per call; their answers are kept as the reference. */
    Run direct(int runSeconds) throws InterruptedException {
        ServingRecorder recorder = new ServingRecorder();
        return closedLoop(runSeconds, recorder, text -> {
            long t0 = System.nanoTime();
            Predictions p = model.predict(List.of(text));
            recorder.requestDone(System.nanoTime() - t0, null);
            reference.putIfAbsent(text, p.classification("intent").probabilities(0));
        });
    }

    /** Callers submitting through the front; every answer is counted per request id and checked. */
    Run served(ServingFront front, int runSeconds) throws InterruptedException {
        ServingRecorder recorder = new ServingRecorder();
        AtomicLong ids = new AtomicLong();
        Map<Long, AtomicInteger> answers = new ConcurrentHashMap<>();
        AtomicLong checked = new AtomicLong();
        AtomicLong unchecked = new AtomicLong();
        LongAccumulator worst = new LongAccumulator(Math::max, 0);
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<String, float[]> later = new ConcurrentHashMap<>();
        Run run = closedLoop(runSeconds, recorder, text -> {
            long id = ids.incrementAndGet();
            long t0 = System.nanoTime();
            CompletableFuture<Predictions> f = front.submit(text, "intent");
            f.whenComplete((p, e) -> answers.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet());
            try {
                float[] got = f.join().classification("intent").probabilities(0);
                recorder.requestDone(System.nanoTime() - t0, null);
                float[] want = reference.get(text);
                if (want == null) {
                    later.putIfAbsent(text, got);
                    unchecked.incrementAndGet();
                } else {
                    worst.accumulate(Double.doubleToLongBits(maxDiff(got, want)));
                    checked.incrementAndGet();
                }
            } catch (RuntimeException e) {
                failures.add(e.toString());
            }
        });
        // answers not seen in the direct run: checked against a direct single call now
        double worstLater = 0;
        for (Map.Entry<String, float[]> e : later.entrySet()) {
            worstLater = Math.max(worstLater, maxDiff(e.getValue(), model.predict(List.of(e.getKey())).classification("intent").probabilities(0)));
        }
        long duplicated = answers.values().stream().filter(n -> n.get() > 1).count();
        long answered = answers.size();
        double worstDiff = Math.max(Double.longBitsToDouble(worst.get()), worstLater);
        out.printf(Locale.ROOT, "  submitted %d, answered %d, lost %d, answered twice %d, failed %d%n",
                ids.get(), answered, ids.get() - answered, duplicated, failures.size());
        out.printf(Locale.ROOT, "  every answer vs its direct single call: %d checked against the direct run, %d distinct"
                + " texts checked after; max |diff| %.3g (limit 1e-5: %s)%n", checked.get(), later.size(), worstDiff,
                worstDiff <= 1e-5 ? "ok" : "EXCEEDED");
        if (!failures.isEmpty()) {
            out.println("  first failure: " + failures.getFirst());
        }
        return run;
    }

    private Run closedLoop(int runSeconds, ServingRecorder recorder, Consumer<String> call) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        long t0 = System.nanoTime();
        long end = t0 + runSeconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int offset = c * 97;
            threads.add(Thread.ofPlatform().name("caller-" + c).start(() -> {
                for (int i = offset; System.nanoTime() < end; i++) {
                    call.accept(pool.get(Math.floorMod(i, pool.size())));
                    done.incrementAndGet();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        return new Run(done.get(), done.get() / elapsed, recorder.summary());
    }

    /**
     * Open loop at {@code rate} submissions per second for {@code runSeconds}: how many were rejected, how long
     * the slowest rejection took, whether every accepted request completed, and the heap used.
     */
    void overload(ServingFront front, ServingRecorder recorder, double rate, int runSeconds) throws InterruptedException {
        int generators = 4;
        AtomicLong submitted = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        ServingRecorder rejections = new ServingRecorder(); // the time each rejected submit call took
        LongAccumulator maxDepth = new LongAccumulator(Math::max, 0);
        LongAccumulator maxHeap = new LongAccumulator(Math::max, 0);
        List<CompletableFuture<Predictions>> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong completedOk = new AtomicLong();
        AtomicLong completedFailed = new AtomicLong();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long heapBefore = memory.getHeapMemoryUsage().getUsed();
        long t0 = System.nanoTime();
        long end = t0 + runSeconds * 1_000_000_000L;
        long interval = (long) (generators * 1e9 / rate);
        List<Thread> threads = new ArrayList<>();
        for (int g = 0; g < generators; g++) {
            int offset = g * 13;
            threads.add(Thread.ofPlatform().name("generator-" + g).start(() -> {
                long next = System.nanoTime();
                for (int i = offset; ; i++) {
                    long now = System.nanoTime();
                    if (now >= end) {
                        return;
                    }
                    if (now < next) {
                        java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                        continue;
                    }
                    next += interval;
                    submitted.incrementAndGet();
                    long s0 = System.nanoTime();
                    try {
                        CompletableFuture<Predictions> f = front.submit(pool.get(Math.floorMod(i, pool.size())), "intent");
                        f.whenComplete((p, e) -> (e == null ? completedOk : completedFailed).incrementAndGet());
                        // keep only a bounded window of futures: completed ones are dropped
                        if (i % 64 == 0) {
                            accepted.removeIf(CompletableFuture::isDone);
                        }
                        accepted.add(f);
                    } catch (QueueFullException e) {
                        rejected.incrementAndGet();
                        rejections.requestDone(System.nanoTime() - s0, null);
                    }
                }
            }));
        }
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxDepth.accumulate(front.queueDepth());
                maxHeap.accumulate(memory.getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        front.close(); // drains what was accepted
        sampler.interrupt();
        sampler.join();
        long acceptedCount = submitted.get() - rejected.get();
        ServingRecorder.Summary r = rejections.summary();
        out.printf(Locale.ROOT, "  offered %.0f/s for %.1f s: %d submissions, %d rejected at once (a rejected submit took"
                        + " p50 %.1f µs, p99 %.1f µs, max %.1f µs), %d accepted%n", rate, elapsed, submitted.get(),
                rejected.get(), r.p50Millis() * 1e3, r.p99Millis() * 1e3, r.maxMillis() * 1e3, acceptedCount);
        out.printf(Locale.ROOT, "  accepted: %d answered, %d failed, %d never completed; queue depth max %d of %d;"
                        + " heap used before %d MiB, max %d MiB%n", completedOk.get(), completedFailed.get(),
                acceptedCount - completedOk.get() - completedFailed.get(), maxDepth.get(), front.queueCapacity(),
                heapBefore >> 20, maxHeap.get() >> 20);
        out.println("  " + recorder.summary());
    }

    static double maxDiff(float[] a, float[] b) {
        double d = a.length == b.length ? 0 : Double.POSITIVE_INFINITY;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /**
     * The serve benchmark: time to first result after {@code build()} (cold JVM; warm-up as asked), direct
     * callers, callers through the front, the first request against steady state, then optionally overload.
     */
    static void run(ComposedModel model, List<String> pool, int callers, int seconds, boolean warmUp, boolean overload,
                    ServingFront.Builder settings, PrintStream out) throws InterruptedException {
        ServeBench bench = new ServeBench(model, pool, callers, seconds, out);
        long b0 = System.nanoTime();
        ServingRecorder recorder = new ServingRecorder();
        ServingFront front = settings.setModel(model).optListener(recorder).optWarmUp(warmUp).build();
        long b1 = System.nanoTime();
        front.submit(pool.getFirst(), "intent").join();
        long b2 = System.nanoTime();
        out.printf(Locale.ROOT, "%s%nbuild() %s warm-up: %.0f ms; first result %.1f ms after build() returned%n", front,
                warmUp ? "with" : "without", (b1 - b0) / 1e6, (b2 - b1) / 1e6);
        double first = (b2 - b1) / 1e6;
        int warm = Math.min(seconds, 15);
        out.printf(Locale.ROOT, "%d callers, one text per request, %d s per case after %d s of direct calls to warm up%n",
                callers, seconds, warm);
        bench.direct(warm);
        Run direct = bench.direct(seconds);
        out.printf(Locale.ROOT, "direct (callers call the model): %8.1f requests/s  latency p50 %.2f ms  p90 %.2f ms  p99 %.2f ms%n",
                direct.perSecond(), direct.latency().p50Millis(), direct.latency().p90Millis(), direct.latency().p99Millis());
        out.println("through the front:");
        Run served = bench.served(front, seconds);
        ServingRecorder.Summary s = served.latency();
        out.printf(Locale.ROOT, "front:                           %8.1f requests/s  latency p50 %.2f ms  p90 %.2f ms  p99 %.2f ms"
                + "  (%.2f× direct)%n", served.perSecond(), s.p50Millis(), s.p90Millis(), s.p99Millis(),
                served.perSecond() / direct.perSecond());
        ServingRecorder.Summary all = recorder.summary();
        out.printf(Locale.ROOT, "  batches: %d, %.1f requests/batch (max %d), %.0f real / %.0f padded tokens per batch,"
                        + " queue depth max %d (the front's recorder, since build)%n", all.batches(),
                all.meanBatch(), all.maxBatch(), all.meanRealTokens(), all.meanPaddedTokens(), all.maxQueueDepth());
        long[] single = new long[51];
        for (int i = 0; i < single.length; i++) {
            long t0 = System.nanoTime();
            front.submit(pool.get(i % pool.size()), "intent").join();
            single[i] = System.nanoTime() - t0;
        }
        front.close();
        java.util.Arrays.sort(single);
        double steady = single[single.length / 2] / 1e6;
        out.printf(Locale.ROOT, "one request alone, steady state: %.1f ms (median of %d); the first request took %.1f ms = %.1f×%n",
                steady, single.length, first, first / steady);
        if (overload) {
            ServingRecorder over = new ServingRecorder();
            ServingFront loaded = settings.setModel(model).optListener(over).optWarmUp(false).build();
            out.printf(Locale.ROOT, "overload at 10× the rate the front sustained (%.0f/s):%n", served.perSecond());
            bench.overload(loaded, over, 10 * served.perSecond(), seconds);
        }
    }
}
