package dev.graft.jmh;

import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.live.AdapterCache;
import dev.graft.adapters.live.AdapterLease;
import dev.graft.adapters.live.AdapterLoadException;
import dev.graft.adapters.live.ContentHash;
import dev.graft.adapters.live.Leases;
import dev.graft.adapters.live.LiveAdapters;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.stream.Stream;

/**
 * The two soak runs of issue 12 for adapters that change while a service runs, on the real all-MiniLM-L6-v2 and
 * real STS-B sentences; each prints its figures. Bounded versions run in the suite ({@code LiveAdaptersSoakTest});
 * the full ones:
 *
 * <pre>
 * ./mvnw -B -q -Pbench -pl jmh -am package -DskipTests
 * java --add-modules=jdk.incubator.vector --add-opens=java.base/java.nio=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
 *     --sun-misc-unsafe-memory-access=allow -Dai.djl.offline=true -Dgraft.shared.dir=../shared \
 *     -cp jmh/target/benchmarks.jar dev.graft.jmh.LiveAdaptersSoak swap --seconds 60
 * java … dev.graft.jmh.LiveAdaptersSoak cache --seconds 60 --adapters 1000 --fit 50 [--zipf 1]
 * </pre>
 *
 * <ul>
 *   <li>{@code swap}: 8 threads call for the duration, each call a batch of 4 sentences whose rows use adapter
 *   "tenant", none, "steady" and "tenant" (mean-pooled embeddings), while another thread replaces "tenant" every
 *   50 ms, cycling through 4 precomputed versions (LoRA r=8 on query and value, every value random). Every call's
 *   embeddings are compared with the ones precomputed for the version its lease names (and the others): 0 failed
 *   calls, 0 mismatches, and the registry's Arrow bytes back at their baseline.</li>
 *   <li>{@code cache}: 1,000 such LoRA directories written with PeftIO into a temporary directory (one of them
 *   truncated), a cache whose budget holds 50, 8 threads requesting uniformly random adapters (or Zipf with
 *   {@code --zipf S}), each request embedding one sentence through its adapter: the bytes held, sampled every
 *   millisecond and Arrow's peak, never above the budget; the hit rate; 0 failures except the corrupt adapter's
 *   own requests, each naming its file.</li>
 * </ul>
 */
public final class LiveAdaptersSoak {
    /** A call's embeddings match a version's when no element differs by more than this. */
    static final float TOLERANCE = 1e-5f;
    static final List<String> ROWS = Arrays.asList("tenant", null, "steady", "tenant");

    private LiveAdaptersSoak() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !Set.of("swap", "cache", "both").contains(args[0])) {
            throw new IllegalArgumentException("usage: LiveAdaptersSoak swap|cache|both [--seconds 60] [--threads 8]"
                    + " [--swap-ms 50] [--adapters 1000] [--fit 50] [--zipf 0] [--model-threads 2]");
        }
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        Duration time = Duration.ofSeconds(Long.parseLong(o.getOrDefault("--seconds", "60")));
        int threads = Integer.parseInt(o.getOrDefault("--threads", "8"));
        int modelThreads = Integer.parseInt(o.getOrDefault("--model-threads", "2"));
        try (BertBackbone backbone = Backbones.builder("all-minilm-l6-v2").optThreads(modelThreads).optMaxLength(128).build()) {
            List<String> sentences = BackboneWorkload.sentences();
            System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " CPUs, "
                    + System.getProperty("java.vm.name") + " " + Runtime.version() + ", backbone threads " + modelThreads);
            if (!args[0].equals("cache")) {
                SwapResult r = hotSwap(backbone, sentences, new SwapConfig(threads, time,
                        Duration.ofMillis(Long.parseLong(o.getOrDefault("--swap-ms", "50"))), 4, 16, 0));
                System.out.println(r.report());
            }
            if (!args[0].equals("swap")) {
                Path dir = Files.createTempDirectory("graft-adapter-cache-soak");
                try {
                    CacheResult r = cache(backbone, sentences, new CacheConfig(threads, time,
                            Integer.parseInt(o.getOrDefault("--adapters", "1000")),
                            Integer.parseInt(o.getOrDefault("--fit", "50")),
                            Double.parseDouble(o.getOrDefault("--zipf", "0")), 0, dir));
                    System.out.println(r.report());
                } finally {
                    deleteTree(dir);
                }
            }
        }
    }

    /** LoRA r=8 alpha 16 on query and value, every parameter random: versions give clearly different outputs. */
    static Lora randomLora(BertBackbone backbone, long seed) {
        Lora l = Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), seed);
        SplittableRandom r = new SplittableRandom(seed);
        for (Parameter p : l.parameters()) {
            float[] v = new float[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((r.nextDouble() - 0.5) * 0.1);
            }
            p.load(v);
        }
        return l;
    }

    // ---------------------------------------------------------------------------------------------------- hot swap

    /**
     * @param minSwaps at least this many replacements, however long they take (so that a bounded run has swapped)
     */
    record SwapConfig(int threads, Duration duration, Duration swapEvery, int versions, int batches, int minSwaps) {
    }

    record SwapResult(int threads, Duration duration, Duration swapEvery, long calls, long failed, long mismatched,
                      long exact, long swaps, long callsOnReplacedVersion, long[] callsPerVersion, float maxDeviation,
                      float minSeparation, long baselineBytes, long bytesAfter, int retiredAfter, long versionsPut,
                      long versionsFreed, long callBytesAfter, long bytesAfterClose, List<String> problems, double seconds) {

        String report() {
            return String.format(Locale.ROOT, """
                    hot swap: %d threads for %.1f s, "tenant" replaced every %d ms (%d swaps, one per %.1f ms) among %d versions
                      calls %d (%.1f/s), failed %d, mismatched %d, bit-identical to their version %d
                      calls per version %s; calls that ended after their version was replaced %d
                      max deviation from the version's precomputed output %.3g (tolerance %.0e); versions differ by >= %.3g
                      registry Arrow bytes: baseline %d, after %d, retired versions still held %d, versions put %d freed %d
                      call arenas after %d bytes; registry after close %d bytes
                    %s""", threads, seconds, swapEvery.toMillis(), swaps, seconds * 1000 / swaps, callsPerVersion.length, calls, calls / seconds,
                    failed, mismatched, exact, Arrays.toString(callsPerVersion), callsOnReplacedVersion, maxDeviation,
                    TOLERANCE, minSeparation, baselineBytes, bytesAfter, retiredAfter, versionsPut, versionsFreed,
                    callBytesAfter, bytesAfterClose, problems.isEmpty() ? "" : "  first problems: " + problems);
        }
    }

    static SwapResult hotSwap(BertBackbone backbone, List<String> sentences, SwapConfig c) throws Exception {
        List<Lora> versions = new ArrayList<>();
        Map<String, Integer> versionOf = new HashMap<>();
        for (int k = 0; k < c.versions(); k++) {
            Lora l = randomLora(backbone, 1000 + k);
            versions.add(l);
            versionOf.put(ContentHash.of(l), k);
        }
        List<List<String>> batches = new ArrayList<>();
        for (int b = 0; b < c.batches(); b++) {
            batches.add(sentences.subList(b * ROWS.size(), (b + 1) * ROWS.size()));
        }
        Set<String> names = Set.of("tenant", "steady");
        try (LiveAdapters live = LiveAdapters.create(backbone.encoder());
             TensorArena calls = TensorArena.root("soak-calls")) {
            live.put("steady", randomLora(backbone, 999));
            // precomputed: every batch through every version, sequentially (after one warm-up round)
            float[][][] expected = new float[c.versions()][c.batches()][];
            for (int round = -1; round < c.versions(); round++) {
                live.put("tenant", versions.get(Math.max(round, 0)));
                for (int b = 0; b < c.batches(); b++) {
                    float[] e = embed(backbone, live, names, batches.get(b), calls).embeddings();
                    if (round >= 0) {
                        expected[round][b] = e;
                    }
                }
            }
            float separation = Float.MAX_VALUE;
            for (int b = 0; b < c.batches(); b++) {
                for (int k = 0; k < c.versions(); k++) {
                    for (int j = k + 1; j < c.versions(); j++) {
                        separation = Math.min(separation, maxAbsDiff(expected[k][b], expected[j][b]));
                    }
                }
            }
            live.put("tenant", versions.getFirst());
            LiveAdapters.Stats before = live.stats();
            long baseline = live.allocatedBytes();

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong callCount = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            AtomicLong mismatched = new AtomicLong();
            AtomicLong exact = new AtomicLong();
            AtomicLong onReplaced = new AtomicLong();
            AtomicLongArray perVersion = new AtomicLongArray(c.versions());
            LongAccumulator maxDeviationBits = new LongAccumulator(Math::max, 0);
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < c.threads(); t++) {
                long seed = t;
                workers.add(Thread.ofPlatform().name("soak-call-" + t).start(() -> {
                    Random rnd = new Random(seed);
                    awaitQuietly(start);
                    do {
                        int b = rnd.nextInt(c.batches());
                        try {
                            Call call = embed(backbone, live, names, batches.get(b), calls);
                            callCount.incrementAndGet();
                            Integer k = versionOf.get(call.tenantHash());
                            if (k == null) {
                                mismatched.incrementAndGet();
                                note(problems, "call on an unknown version " + call.tenantHash());
                                continue;
                            }
                            perVersion.incrementAndGet(k);
                            if (call.replacedBeforeEnd()) {
                                onReplaced.incrementAndGet();
                            }
                            float d = maxAbsDiff(call.embeddings(), expected[k][b]);
                            maxDeviationBits.accumulate(Float.floatToIntBits(d)); // non-negative floats order as ints
                            if (d == 0) {
                                exact.incrementAndGet();
                            }
                            if (!(d <= TOLERANCE)) {
                                mismatched.incrementAndGet();
                                note(problems, "batch " + b + " on version " + k + " deviates by " + d);
                            }
                        } catch (RuntimeException | Error e) {
                            failed.incrementAndGet();
                            note(problems, e.toString());
                        }
                    } while (!stop.get());
                }));
            }
            AtomicLong swaps = new AtomicLong();
            long t0 = System.nanoTime();
            long end = t0 + c.duration().toNanos();
            start.countDown();
            int next = 1;
            long tick = t0;
            while (System.nanoTime() < end || swaps.get() < c.minSwaps()) {
                tick += c.swapEvery().toNanos(); // fixed rate: a put that takes long is not added to the period
                long sleep = tick - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(Duration.ofNanos(sleep));
                }
                live.put("tenant", versions.get(next));
                next = (next + 1) % c.versions();
                swaps.incrementAndGet();
            }
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            LiveAdapters.Stats after = live.stats();
            long bytesAfter = live.allocatedBytes();
            long callBytes = calls.allocatedBytes();
            live.close();
            return new SwapResult(c.threads(), c.duration(), c.swapEvery(), callCount.get(), failed.get(),
                    mismatched.get(), exact.get(), swaps.get(), onReplaced.get(), toArray(perVersion),
                    Float.intBitsToFloat((int) maxDeviationBits.get()), separation, baseline, bytesAfter,
                    after.retiredInUse(), after.versionsPut() - before.versionsPut(),
                    after.versionsFreed() - before.versionsFreed(), callBytes, live.allocatedBytes(),
                    List.copyOf(problems), seconds);
        }
    }

    /** One call's result: the embeddings of its rows, the hash of the "tenant" version it used. */
    record Call(float[] embeddings, String tenantHash, boolean replacedBeforeEnd) {
    }

    /** One call: lease the adapters once, one forward pass with each row's adapter, mean pooling. */
    static Call embed(BertBackbone backbone, LiveAdapters live, Set<String> names, List<String> texts, TensorArena calls) {
        try (TensorArena call = calls.child("call"); Leases leases = live.acquireAll(names)) {
            TokenBatch batch = backbone.tokenize(texts, call);
            EncoderOutput out = leases.encode(backbone.encoder(), batch, ROWS, false, call);
            float[] pooled = Pooling.MEAN.apply(backbone.kernels(), out.lastHidden(), batch.attentionMask(), call)
                    .toFloatArray();
            String hash = leases.get("tenant").sha256();
            return new Call(pooled, hash, live.contains("tenant") && !live.sha256("tenant").equals(hash));
        }
    }

    // ------------------------------------------------------------------------------------------------------- cache

    /**
     * @param zipf        0 for uniform requests, else the Zipf exponent over the adapters
     * @param minRequests at least this many requests in all, however long they take
     */
    record CacheConfig(int threads, Duration duration, int adapters, int fit, double zipf, long minRequests, Path dir) {
    }

    record CacheResult(int threads, double seconds, int adapters, int fit, double zipf, long perAdapterBytes,
                       long requests, long served, long corruptRequests, long corruptFailures, long otherFailures,
                       long wrongAdapter, long sampledMaxHeld, long samples, AdapterCache.Stats stats,
                       long heldAfterClose, String corruptMessage, List<String> problems, double writeSeconds) {

        long budget() {
            return stats.budgetBytes();
        }

        String report() {
            return String.format(Locale.ROOT, """
                    adapter cache: %d LoRA directories (r=8 on query, value; %d bytes attached each; written in %.1f s), \
                    budget %d bytes = %d adapters, %d threads for %.1f s, %s requests
                      requests %d (%.1f/s), served %d, failed %d (the corrupt directory's own %d of %d requests for it), \
                    other failures %d, wrong adapter served %d
                      hit rate %.4f (hits %d, misses %d, joined a load %d), loads %d, load failures %d, evictions %d
                      held bytes: max sampled %d over %d samples, Arrow peak %d, budget %d -> %s; after close %d
                      the corrupt directory's error: %s
                    %s""", adapters, perAdapterBytes, writeSeconds, budget(), fit, threads, seconds,
                    zipf == 0 ? "uniform" : "Zipf s=" + zipf, requests, requests / seconds, served,
                    corruptFailures + otherFailures, corruptFailures, corruptRequests, otherFailures, wrongAdapter,
                    stats.hitRate(), stats.hits(), stats.misses(), stats.joined(), stats.loads(), stats.loadFailures(),
                    stats.evictions(), sampledMaxHeld, samples, stats.peakHeldBytes(), budget(),
                    Math.max(sampledMaxHeld, stats.peakHeldBytes()) <= budget() ? "never above" : "ABOVE THE BUDGET",
                    heldAfterClose, corruptMessage, problems.isEmpty() ? "" : "  first problems: " + problems);
        }
    }

    static String name(int i) {
        return String.format(Locale.ROOT, "tenant-%04d", i);
    }

    static CacheResult cache(BertBackbone backbone, List<String> sentences, CacheConfig c) throws Exception {
        long w0 = System.nanoTime();
        String[] hashes = new String[c.adapters()];
        for (int i = 0; i < c.adapters(); i++) {
            Lora l = randomLora(backbone, 5000 + i);
            hashes[i] = ContentHash.of(l);
            PeftIO.save(l, "sentence-transformers/all-MiniLM-L6-v2", c.dir().resolve(name(i)));
        }
        int corrupt = c.adapters() / 2;
        Path corruptFile = c.dir().resolve(name(corrupt)).resolve(PeftIO.WEIGHTS_FILE);
        byte[] bytes = Files.readAllBytes(corruptFile);
        Files.write(corruptFile, Arrays.copyOf(bytes, bytes.length - 1000)); // truncated
        double writeSeconds = (System.nanoTime() - w0) / 1e9;
        long perAdapter;
        try (AdapterCache probe = AdapterCache.builder().backbone(backbone).root(c.dir()).budgetBytes(1L << 30).build();
             AdapterLease l = probe.acquire(name(0))) {
            perAdapter = l.bytes();
        }
        long budget = c.fit() * perAdapter;
        double[] cdf = zipfCdf(c.adapters(), c.zipf());
        AtomicLong requests = new AtomicLong();
        AtomicLong served = new AtomicLong();
        AtomicLong corruptRequests = new AtomicLong();
        AtomicLong corruptFailures = new AtomicLong();
        AtomicLong otherFailures = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Map<String, String> corruptMessage = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AdapterCache cache = AdapterCache.builder().backbone(backbone).root(c.dir()).budgetBytes(budget).build();
        long maxHeld;
        long samples = 0;
        double seconds;
        AdapterCache.Stats stats;
        try (TensorArena calls = TensorArena.root("cache-soak-calls")) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < c.threads(); t++) {
                int thread = t;
                workers.add(Thread.ofPlatform().name("cache-soak-" + t).start(() -> {
                    SplittableRandom rnd = new SplittableRandom(77 + thread);
                    awaitQuietly(start);
                    long n = 0;
                    do {
                        int i = thread == 0 && n == 0 ? corrupt : pick(cdf, rnd.nextDouble());
                        n++;
                        requests.incrementAndGet();
                        if (i == corrupt) {
                            corruptRequests.incrementAndGet();
                        }
                        String text = sentences.get(rnd.nextInt(sentences.size()));
                        try (AdapterLease l = cache.acquire(name(i)); TensorArena call = calls.child("call")) {
                            if (!l.sha256().equals(hashes[i])) {
                                wrong.incrementAndGet();
                                note(problems, name(i) + " served " + l.sha256());
                            }
                            TokenBatch batch = backbone.tokenize(List.of(text), call);
                            EncoderOutput out = backbone.encode(batch, call, false, l.hooks());
                            float[] e = Pooling.MEAN.apply(backbone.kernels(), out.lastHidden(), batch.attentionMask(), call)
                                    .toFloatArray();
                            if (!Float.isFinite(e[0])) {
                                throw new IllegalStateException("non-finite embedding");
                            }
                            served.incrementAndGet();
                        } catch (AdapterLoadException e) {
                            if (i == corrupt && e.getMessage().contains(corruptFile.toString())) {
                                corruptFailures.incrementAndGet();
                                corruptMessage.putIfAbsent("m", e.getMessage());
                            } else {
                                otherFailures.incrementAndGet();
                                note(problems, e.toString());
                            }
                        } catch (RuntimeException | Error e) {
                            otherFailures.incrementAndGet();
                            note(problems, e.toString());
                        }
                    } while (!stop.get() || requests.get() < c.minRequests());
                }));
            }
            long t0 = System.nanoTime();
            long end = t0 + c.duration().toNanos();
            start.countDown();
            maxHeld = 0;
            while (System.nanoTime() < end || requests.get() < c.minRequests()) {
                maxHeld = Math.max(maxHeld, cache.heldBytes());
                samples++;
                Thread.sleep(1);
            }
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            maxHeld = Math.max(maxHeld, cache.heldBytes());
            stats = cache.stats();
        } finally {
            cache.close();
        }
        return new CacheResult(c.threads(), seconds, c.adapters(), c.fit(), c.zipf(), perAdapter, requests.get(),
                served.get(), corruptRequests.get(), corruptFailures.get(), otherFailures.get(), wrong.get(), maxHeld,
                samples, stats, cache.heldBytes(), corruptMessage.getOrDefault("m", "(never requested)"),
                List.copyOf(problems), writeSeconds);
    }

    /** Cumulative probabilities of adapters 0 … n−1: uniform for s = 0, else Zipf (rank i+1 ∝ 1/(i+1)^s). */
    static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += s == 0 ? 1 : 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    static int pick(double[] cdf, double u) {
        int i = Arrays.binarySearch(cdf, u);
        return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
    }

    // ------------------------------------------------------------------------------------------------------ shared

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            return Float.POSITIVE_INFINITY;
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            if (!(d <= m)) {
                m = Float.isNaN(d) ? Float.POSITIVE_INFINITY : d;
            }
        }
        return m;
    }

    private static long[] toArray(AtomicLongArray a) {
        long[] out = new long[a.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i);
        }
        return out;
    }

    private static void note(List<String> problems, String p) {
        if (problems.size() < 5) {
            problems.add(p);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
