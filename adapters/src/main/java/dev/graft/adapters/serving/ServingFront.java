package dev.graft.adapters.serving;

import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Predictions;
import dev.graft.adapters.compose.Request;
import dev.graft.adapters.compose.RowResult;
import dev.graft.core.tensor.TensorArena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request-batching front over a {@link ComposedModel}: many callers each submit one text (or a few) and get a
 * {@link CompletableFuture} of that text's head outputs ({@link Predictions}, every output of size 1); the front
 * runs them in batches, one routed backbone pass per batch ({@link ComposedModel#predictRows}), so a service under
 * load pays the encoder's batch cost instead of its one-row cost per request.
 *
 * <pre>{@code
 * try (ServingFront front = ServingFront.builder().setModel(model)
 *         .optTokenBudget(1024).optMaxWait(Duration.ofMillis(5)).optQueueCapacity(4096)
 *         .optTimeout(Duration.ofSeconds(2)).optListener(recorder).optWarmUp(true).build()) {
 *     Predictions p = front.submit("I lost my card yesterday", "intent").join();
 *     p.classification("intent").top(0, 3);
 * }
 * }</pre>
 *
 * <h2>Batching</h2>
 * {@link #submit} tokenises the text once, on the caller's thread, to count its real tokens (and to reject an empty
 * text or, with truncation off, one longer than the model's positions, before it is queued). A worker takes a batch
 * when the queued requests hold at least the token budget of real tokens, or when the oldest has waited the
 * maximum wait, or when the front is draining. A batch always contains the oldest queued request (so none
 * starves) and is filled with the queued requests closest to it in length while the budget allows and the batch's
 * padded tokens stay within {@value #MAX_PADDING}× its real tokens — rows of one batch are padded to its longest, so
 * a row of a very different length waits for the next batch (taken at once, by the next free worker) instead. {@link ComposedModel#predictRows} tokenises
 * the batch again to pack it: the count at submit is not reused (see docs/SERVING.md).
 *
 * <h2>Back-pressure, timeouts, cancellation</h2>
 * The queue holds at most {@code optQueueCapacity} requests; when it is full {@link #submit} throws
 * {@link QueueFullException} at once, naming the capacity. With {@code optTimeout}, a request not answered in time
 * completes exceptionally with a {@link TimeoutException}; a request cancelled by its caller
 * ({@code future.cancel}) or timed out before its batch starts is dropped from the queue and never computed.
 *
 * <h2>Failures stay with their request</h2>
 * An empty text, a text too long for the model with truncation off, an unknown head name, or a head that fails on
 * its row completes that request's future exceptionally with a message saying why; the other requests of its batch
 * are answered normally.
 *
 * <h2>Closing</h2>
 * {@link #close()} stops accepting, <em>drains</em> — every queued request is computed and answered — and waits for
 * the workers. {@link #shutdownNow()} stops accepting, fails every queued request with {@link FrontClosedException}
 * at once, lets the batches already running finish, and waits for the workers. Either way, when it returns every
 * future it handed out is complete. Neither closes the model.
 */
public final class ServingFront implements AutoCloseable {
    private enum State { OPEN, DRAINING, STOPPED }

    /**
     * The most padded tokens (rows × the longest row) a batch may compute per real token: rows much longer or
     * shorter than the batch's wait for a batch of their own length (the encoder pads every row to the longest).
     */
    static final double MAX_PADDING = 1.25;

    /** One queued request. */
    private record Pending(long id, Request request, int tokens, long submitted, CompletableFuture<Predictions> future) {
    }

    private final ComposedModel model;
    private final int tokenBudget;
    private final long maxWaitNanos;
    private final int capacity;
    private final Duration timeout;
    private final ServingListener listener;
    private final TensorArena arena;
    private final ScheduledThreadPoolExecutor timer;
    private final List<Thread> workers = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    /** Queued futures completed while queued (cancelled, timed out) since the last purge: purge only then. */
    private final java.util.concurrent.atomic.AtomicInteger abandoned = new java.util.concurrent.atomic.AtomicInteger();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Queued requests in arrival order. Guarded by {@link #lock}. */
    private final List<Pending> queue = new ArrayList<>();
    private long queuedTokens;
    private State state = State.OPEN;
    /** While the warm-up's requests go through the front, the listener hears nothing. */
    private volatile boolean warming;

    private ServingFront(Builder b) {
        this.model = b.model;
        this.tokenBudget = b.tokenBudget;
        this.maxWaitNanos = b.maxWait.toNanos();
        this.capacity = b.queueCapacity;
        this.timeout = b.timeout;
        this.listener = b.listener;
        this.arena = TensorArena.root("serving-front");
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "graft-serving-timeouts");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        for (int w = 0; w < b.workers; w++) {
            Thread t = Thread.ofPlatform().name("graft-serving-" + w).daemon().unstarted(this::work);
            workers.add(t);
        }
    }

    /** A builder; {@link Builder#setModel} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The model the front serves (not owned: closing the front leaves it open). */
    public ComposedModel model() {
        return model;
    }

    /** Requests waiting in the queue now (not those running). */
    public int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** The queue's capacity, in requests. */
    public int queueCapacity() {
        return capacity;
    }

    /** Real tokens a batch may hold. */
    public int tokenBudget() {
        return tokenBudget;
    }

    /** Worker threads running batches. */
    public int workers() {
        return workers.size();
    }

    /**
     * Submits one text for the named heads (all of the model's heads when none are named).
     *
     * @return the text's outputs, one per head, each of size 1; completes exceptionally on a bad input, an unknown
     *         head, a failing head, a timeout, a cancellation or {@link #shutdownNow()}
     * @throws QueueFullException    the queue is full (nothing was queued)
     * @throws FrontClosedException  the front is closed
     */
    public CompletableFuture<Predictions> submit(String text, String... heads) {
        Objects.requireNonNull(text, "text");
        return submit(new Request(text, List.of(heads)));
    }

    /** Submits one request; see {@link #submit(String, String...)}. */
    public CompletableFuture<Predictions> submit(Request request) {
        return submitAll(List.of(request)).getFirst();
    }

    /**
     * Submits several requests, queued together (all or none: if they do not all fit, none is queued and
     * {@link QueueFullException} is thrown). Each has its own future; they may run in different batches.
     */
    public List<CompletableFuture<Predictions>> submit(List<Request> requests) {
        return submitAll(requests);
    }

    private List<CompletableFuture<Predictions>> submitAll(List<Request> requests) {
        Objects.requireNonNull(requests, "requests");
        requireRoom(requests.size());
        long now = System.nanoTime();
        List<CompletableFuture<Predictions>> futures = new ArrayList<>(requests.size());
        List<Pending> accepted = new ArrayList<>(requests.size());
        for (Request r : requests) {
            Objects.requireNonNull(r, "request");
            long id = ids.incrementAndGet();
            CompletableFuture<Predictions> f = new CompletableFuture<>();
            futures.add(f);
            String problem = null;
            int tokens = 0;
            if (r.text().isBlank()) {
                problem = "request #" + id + ": the text is empty: there is nothing to encode";
            } else {
                try {
                    tokens = countTokens(r.text());
                } catch (IllegalArgumentException e) {
                    problem = "request #" + id + " (a text of " + r.text().length() + " characters): "
                            + e.getMessage().replaceFirst("^input 0 has", "it has");
                }
            }
            if (problem != null) {
                f.completeExceptionally(new IllegalArgumentException(problem));
                report(f, now);
            } else {
                accepted.add(new Pending(id, r, tokens, now, f));
            }
        }
        if (accepted.isEmpty()) {
            return futures;
        }
        lock.lock();
        try {
            requireOpen();
            if (queue.size() + accepted.size() > capacity) {
                purgeDone();
                if (queue.size() + accepted.size() > capacity) {
                    for (int i = 0; i < accepted.size(); i++) {
                        quietly(() -> listener.rejected(capacity));
                    }
                    throw new QueueFullException(capacity);
                }
            }
            for (Pending p : accepted) {
                queue.add(p);
                queuedTokens += p.tokens();
                p.future().whenComplete((v, e) -> {
                    if (e != null) {
                        abandoned.incrementAndGet();
                    }
                });
            }
            changed.signal();
        } finally {
            lock.unlock();
        }
        for (Pending p : accepted) {
            if (timeout != null) {
                ScheduledFuture<?> t = timer.schedule(() -> p.future().completeExceptionally(new TimeoutException(
                        "request #" + p.id() + " was not answered within its timeout of " + timeout.toMillis() + " ms")),
                        timeout.toNanos(), TimeUnit.NANOSECONDS);
                p.future().whenComplete((v, e) -> t.cancel(false));
            }
            report(p.future(), now);
        }
        return futures;
    }

    /** Fails at once, before any tokenising, when the front is closed or the queue has no room for n requests. */
    private void requireRoom(int n) {
        lock.lock();
        try {
            requireOpen();
            if (queue.size() + n > capacity) {
                purgeDone();
                if (queue.size() + n > capacity) {
                    for (int i = 0; i < n; i++) {
                        quietly(() -> listener.rejected(capacity));
                    }
                    throw new QueueFullException(capacity);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Holds the lock. */
    private void requireOpen() {
        if (state != State.OPEN) {
            throw new FrontClosedException("the serving front is closed: no new requests are accepted");
        }
    }

    /** Real tokens of {@code text} as the model's tokenizer counts them (special tokens included). */
    private int countTokens(String text) {
        TensorArena a;
        try {
            a = arena.child("count");
        } catch (IllegalStateException closed) {
            throw new FrontClosedException("the serving front is closed: no new requests are accepted");
        }
        try (a) {
            return model.backbone().tokenizer().encode(List.of(text), a).lengths()[0];
        }
    }

    private void report(CompletableFuture<Predictions> f, long submitted) {
        if (warming) {
            return;
        }
        f.whenComplete((v, e) -> quietly(() -> listener.requestDone(System.nanoTime() - submitted, e)));
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException ignored) {
            // a listener must not fail a request
        }
    }

    /** Drops queued requests whose future is already complete (cancelled or timed out). Holds the lock. */
    private void purgeDone() {
        if (abandoned.get() == 0) {
            return;
        }
        abandoned.set(0);
        queue.removeIf(p -> {
            if (p.future().isDone()) {
                queuedTokens -= p.tokens();
                return true;
            }
            return false;
        });
    }

    private void work() {
        while (true) {
            List<Pending> batch;
            int depth;
            lock.lock();
            try {
                while (true) {
                    if (state == State.STOPPED) {
                        return;
                    }
                    purgeDone();
                    if (queue.isEmpty()) {
                        if (state == State.DRAINING) {
                            return;
                        }
                        changed.awaitUninterruptibly();
                        continue;
                    }
                    long waited = System.nanoTime() - queue.getFirst().submitted();
                    if (queuedTokens >= tokenBudget || waited >= maxWaitNanos || state == State.DRAINING || warming) {
                        break;
                    }
                    try {
                        changed.awaitNanos(maxWaitNanos - waited);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                batch = take();
                depth = queue.size();
                if (!queue.isEmpty()) {
                    changed.signal(); // another worker may take the rest
                }
            } finally {
                lock.unlock();
            }
            run(batch, depth);
        }
    }

    /**
     * Takes the next batch off the queue: the oldest request, then the queued ones closest to it in length, while
     * their real tokens fit the budget and the batch's padded tokens (rows × longest) stay within
     * {@link #MAX_PADDING} × its real tokens; what is left stays queued for the next batch. Holds the lock.
     */
    private List<Pending> take() {
        Pending oldest = queue.getFirst();
        List<Pending> byLength = new ArrayList<>(queue);
        byLength.sort(Comparator.comparingInt(Pending::tokens)); // stable: arrival order within a length
        int at = byLength.indexOf(oldest);
        int left = at - 1;
        int right = at + 1;
        long tokens = oldest.tokens();
        int longest = oldest.tokens();
        List<Pending> batch = new ArrayList<>();
        batch.add(oldest);
        while (left >= 0 || right < byLength.size()) {
            Pending l = left >= 0 ? byLength.get(left) : null;
            Pending r = right < byLength.size() ? byLength.get(right) : null;
            boolean takeLeft = r == null || (l != null
                    && oldest.tokens() - l.tokens() <= r.tokens() - oldest.tokens());
            Pending next = takeLeft ? l : r;
            if (!fits(batch.size(), tokens, longest, next)) {
                Pending other = takeLeft ? r : l;
                if (other == null || !fits(batch.size(), tokens, longest, other)) {
                    break;
                }
                next = other;
                takeLeft = !takeLeft;
            }
            batch.add(next);
            tokens += next.tokens();
            longest = Math.max(longest, next.tokens());
            if (takeLeft) {
                left--;
            } else {
                right++;
            }
        }
        Set<Pending> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        taken.addAll(batch);
        queue.removeIf(taken::contains);
        queuedTokens -= tokens;
        return batch;
    }

    /** Whether {@code next} may join a batch of {@code rows} rows, {@code tokens} real tokens, longest {@code longest}. */
    private boolean fits(int rows, long tokens, int longest, Pending next) {
        long real = tokens + next.tokens();
        long padded = (long) (rows + 1) * Math.max(longest, next.tokens());
        return real <= tokenBudget && padded <= MAX_PADDING * real;
    }

    /** Runs one batch and completes its futures; requests cancelled or timed out meanwhile are not computed. */
    private void run(List<Pending> taken, int depth) {
        List<Pending> batch = taken.stream().filter(p -> !p.future().isDone()).toList();
        if (batch.isEmpty()) {
            return;
        }
        List<Request> requests = batch.stream().map(Pending::request).toList();
        long t0 = System.nanoTime();
        List<RowResult> rows;
        try {
            rows = model.predictRows(requests);
        } catch (RuntimeException | Error e) {
            for (Pending p : batch) {
                p.future().completeExceptionally(new IllegalStateException("request #" + p.id() + ": its batch of "
                        + batch.size() + " requests failed: " + e.getMessage(), e));
            }
            if (e instanceof Error error) {
                throw error;
            }
            return;
        }
        long compute = System.nanoTime() - t0;
        int real = 0;
        int longest = 0;
        for (Pending p : batch) {
            real += p.tokens();
            longest = Math.max(longest, p.tokens());
        }
        ServingListener.Batch stats = new ServingListener.Batch(batch.size(), real, longest * batch.size(), depth, compute);
        if (!warming) {
            quietly(() -> listener.batchRan(stats));
        }
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            RowResult row = rows.get(i);
            if (row.ok()) {
                p.future().complete(new Predictions(row.outputs()));
            } else {
                p.future().completeExceptionally(new IllegalArgumentException("request #" + p.id() + ": " + row.error()));
            }
        }
    }

    /**
     * Stops accepting, computes and answers every queued request, and waits for the workers to finish. Does not close
     * the model. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.OPEN) {
                state = State.DRAINING;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        stop();
    }

    /**
     * Stops accepting, fails every queued request with {@link FrontClosedException}, lets the batches already
     * running finish, and waits for the workers. Does not close the model.
     *
     * @return how many queued requests were failed
     */
    public int shutdownNow() {
        List<Pending> dropped;
        lock.lock();
        try {
            state = State.STOPPED;
            dropped = new ArrayList<>(queue);
            queue.clear();
            queuedTokens = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Pending p : dropped) {
            p.future().completeExceptionally(new FrontClosedException("request #" + p.id()
                    + " was not run: the serving front was shut down while it was queued"));
        }
        stop();
        return dropped.size();
    }

    private void stop() {
        boolean interrupted = false;
        for (Thread t : workers) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        timer.shutdownNow();
        if (!arena.isClosed()) {
            arena.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The front's own path (counting, queueing, batching, completing) once alone and once in a batch, unreported. */
    private void warmThroughFront(List<String> texts) {
        warming = true;
        try {
            for (int round = 0; round < 2; round++) {
                submit(texts.getFirst()).handle((p, e) -> null).join();
                List<Request> all = texts.stream().limit(capacity).map(Request::new).toList();
                submit(all).forEach(f -> f.handle((p, e) -> null).join());
            }
        } finally {
            warming = false;
        }
    }

    private void start() {
        workers.forEach(Thread::start);
    }

    @Override
    public String toString() {
        return "ServingFront(" + model + ", budget " + tokenBudget + " tokens, max wait " + maxWaitNanos / 1_000
                + " µs, queue " + capacity + ", " + workers.size() + " workers)";
    }

    /** Settings of a {@link ServingFront}; only the model is required. */
    public static final class Builder {
        private ComposedModel model;
        private int tokenBudget = 1024;
        private Duration maxWait = Duration.ofMillis(5);
        private int queueCapacity = 4096;
        private Duration timeout;
        private ServingListener listener = ServingListener.NONE;
        private int workers = 2;
        private List<String> warmUp;
        private boolean warmUpOn;

        private Builder() {
        }

        /** The composed model to serve (required; not closed by the front). */
        public Builder setModel(ComposedModel model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /**
         * Real tokens (special tokens included, padding not) a batch may hold; at least the model's maximum
         * length, so that any accepted text fits a batch. Default 1024.
         */
        public Builder optTokenBudget(int tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("optTokenBudget must be at least 1, got " + tokens);
            }
            this.tokenBudget = tokens;
            return this;
        }

        /**
         * The longest a request waits for its batch to fill before the batch runs anyway (default 5 ms). Zero
         * runs whatever is queued as soon as a worker is free.
         */
        public Builder optMaxWait(Duration maxWait) {
            if (maxWait.isNegative()) {
                throw new IllegalArgumentException("optMaxWait must not be negative, got " + maxWait);
            }
            this.maxWait = maxWait;
            return this;
        }

        /** Requests the queue holds before {@link #submit} refuses with {@link QueueFullException} (default 4096). */
        public Builder optQueueCapacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("optQueueCapacity must be at least 1, got " + capacity);
            }
            this.queueCapacity = capacity;
            return this;
        }

        /** The longest a request may take from submission to answer (default none). */
        public Builder optTimeout(Duration timeout) {
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new IllegalArgumentException("optTimeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Where metrics go (default: nowhere). */
        public Builder optListener(ServingListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Worker threads running batches concurrently (default 2: one batch is formed and tokenised while another
         * is encoded; the backbone's own compute threads do the parallel work inside a batch).
         */
        public Builder optWorkers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("optWorkers must be at least 1, got " + workers);
            }
            this.workers = workers;
            return this;
        }

        /**
         * Whether {@link #build()} warms the model up with built-in representative texts ({@link WarmUp}) so that
         * the first real request does not pay for class loading and JIT compilation. Default off.
         */
        public Builder optWarmUp(boolean warmUp) {
            this.warmUpOn = warmUp;
            this.warmUp = null;
            return this;
        }

        /** Warms up at {@link #build()} with these texts (representative of the traffic) instead of built-in ones. */
        public Builder optWarmUp(List<String> texts) {
            if (texts.isEmpty()) {
                throw new IllegalArgumentException("optWarmUp: no texts");
            }
            this.warmUp = List.copyOf(texts);
            this.warmUpOn = true;
            return this;
        }

        /**
         * Warms up (if asked) and starts the workers.
         *
         * @throws IllegalArgumentException no model, or a token budget below the model's maximum length
         */
        public ServingFront build() {
            if (model == null) {
                throw new IllegalArgumentException("cannot build the serving front: no model set (setModel)");
            }
            int maxLength = model.backbone().maxLength();
            if (tokenBudget < maxLength) {
                throw new IllegalArgumentException("optTokenBudget " + tokenBudget + " is below the model's maximum length "
                        + maxLength + ": a text of that length would never fit a batch");
            }
            List<String> texts = warmUpOn ? (warmUp == null ? WarmUp.texts(model) : warmUp) : null;
            if (warmUpOn) {
                WarmUp.run(model, texts, tokenBudget);
            }
            ServingFront front = new ServingFront(this);
            front.start();
            if (warmUpOn) {
                front.warmThroughFront(texts);
            }
            return front;
        }
    }
}
