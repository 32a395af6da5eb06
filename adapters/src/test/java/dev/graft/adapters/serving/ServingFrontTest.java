package dev.graft.adapters.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Predictions;
import dev.graft.adapters.compose.Request;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The serving front on the real all-MiniLM-L6-v2 (truncation off, 128 positions) with a 77-label intent head and a
 * mean-pooled embedding head, on real banking77 test questions. No assertion depends on timing: batches are made
 * deterministic with a long maximum wait and {@code close()} (which drains), and a worker is held inside a batch by
 * a listener that waits on a latch.
 */
class ServingFrontTest {
    static BertBackbone minilm;
    static ComposedModel model;
    static List<String> questions;

    @BeforeAll
    static void open() throws Exception {
        minilm = Backbones.builder(MiniLm.NAME).optThreads(2).optMaxLength(128).optTruncation(false).build();
        BackboneInfo info = BackboneInfo.of(minilm);
        List<String> labels = IntStream.range(0, 77).mapToObj(i -> "intent_" + i).toList();
        model = ComposedModel.builder().backbone(minilm)
                .head("intent", new SequenceClassification().create(ClassificationConfig.of(labels), info, 1))
                .head("embed", new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0))
                .build();
        questions = CsvDataset.read(MiniLm.dataset("banking77/test.csv"), "text", "category").stream()
                .map(LabeledText::text).toList();
    }

    @AfterAll
    static void close() {
        model.close();
        minilm.close();
    }

    /** A listener whose first batch waits until released: a worker held busy, deterministically. */
    static final class Blocking extends CountDownLatch implements ServingListener {
        final CountDownLatch entered = new CountDownLatch(1);
        final ServingRecorder recorder = new ServingRecorder();
        final AtomicInteger computedRows = new AtomicInteger();

        Blocking() {
            super(1);
        }

        @Override
        public void batchRan(Batch batch) {
            computedRows.addAndGet(batch.requests());
            recorder.batchRan(batch);
            entered.countDown();
            try {
                await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void requestDone(long latencyNanos, Throwable failure) {
            recorder.requestDone(latencyNanos, failure);
        }

        @Override
        public void rejected(int queueCapacity) {
            recorder.rejected(queueCapacity);
        }
    }

    static double maxDiff(HeadOutput a, HeadOutput b) {
        float[] x = a instanceof HeadOutput.Classification c ? c.probabilities(0) : ((HeadOutput.Embedding) a).vector(0);
        float[] y = b instanceof HeadOutput.Classification c ? c.probabilities(0) : ((HeadOutput.Embedding) b).vector(0);
        assertThat(x).hasSameSizeAs(y);
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    @Test
    void batchedResultsEqualDirectSingleCallsWithinOneInTenMillionAndBatchesRespectTheTokenBudget() {
        List<String> texts = questions.subList(0, 120);
        ServingRecorder recorder = new ServingRecorder();
        List<ServingListener.Batch> batches = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Predictions>> futures = new ArrayList<>();
        try (ServingFront front = ServingFront.builder().setModel(model).optTokenBudget(256)
                .optMaxWait(Duration.ofMinutes(1)).optListener(new ServingListener() {
                    @Override
                    public void batchRan(Batch batch) {
                        batches.add(batch);
                        recorder.batchRan(batch);
                    }

                    @Override
                    public void requestDone(long latencyNanos, Throwable failure) {
                        recorder.requestDone(latencyNanos, failure);
                    }
                }).build()) {
            for (int i = 0; i < texts.size(); i++) {
                futures.add(i % 3 == 0 ? front.submit(texts.get(i), "intent") : front.submit(texts.get(i)));
            }
        } // close() drains: the last, partial batch runs too
        for (int i = 0; i < texts.size(); i++) {
            Predictions served = futures.get(i).join();
            Predictions direct = i % 3 == 0 ? model.predict(List.of(texts.get(i)), "intent") : model.predict(List.of(texts.get(i)));
            assertThat(served.heads()).containsExactlyElementsOf(direct.heads());
            for (String head : direct.heads()) {
                assertThat(maxDiff(served.outputs().get(head), direct.outputs().get(head))).as("text %d head %s", i, head)
                        .isLessThanOrEqualTo(1e-5);
            }
        }
        assertThat(batches).allSatisfy(b -> assertThat(b.realTokens()).isLessThanOrEqualTo(256));
        assertThat(batches.stream().mapToInt(ServingListener.Batch::requests).sum()).isEqualTo(texts.size());
        assertThat(recorder.summary().maxBatch()).isGreaterThan(1);
        assertThat(recorder.summary().completed()).isEqualTo(texts.size());
        assertThat(model.allocatedBytes()).isZero();
    }

    @Test
    void eightThreadsTimesTwoHundredCallsThroughTheFrontAreBitIdenticalToSequentialAndEachAnsweredOnce() throws Exception {
        int threads = 8;
        int calls = 200;
        List<List<String>> work = new ArrayList<>();
        for (int c = 0; c < calls; c++) {
            int size = 1 + c % 3;
            int from = c * 7 % (questions.size() - 3);
            work.add(questions.subList(from, from + size));
        }
        // Warm the kernels first (until C2 has compiled them the Vector API's exp may round differently).
        for (List<String> call : work) {
            model.predictRows(call.stream().map(Request::new).toList());
        }
        List<List<Predictions>> sequential = new ArrayList<>();
        for (List<String> call : work) {
            List<Predictions> one = new ArrayList<>();
            for (String t : call) {
                one.add(model.predict(List.of(t)));
            }
            sequential.add(one);
        }
        Map<Long, AtomicInteger> answers = new ConcurrentHashMap<>();
        AtomicLong ids = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
        try (ServingFront front = ServingFront.builder().setModel(model).optMaxWait(Duration.ofMillis(2)).build()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                done.add(pool.submit(() -> {
                    List<Integer> order = new ArrayList<>(IntStream.range(0, calls).boxed().toList());
                    Collections.shuffle(order, new Random(seed));
                    for (int c : order) {
                        List<CompletableFuture<Predictions>> fs = front.submit(work.get(c).stream().map(Request::new).toList());
                        for (int r = 0; r < fs.size(); r++) {
                            long id = ids.incrementAndGet();
                            int call = c;
                            int row = r;
                            fs.get(r).whenComplete((p, e) -> {
                                answers.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                                if (e != null) {
                                    mismatches.add("call " + call + " row " + row + " failed: " + e);
                                } else if (!p.outputs().equals(sequential.get(call).get(row).outputs())) {
                                    mismatches.add("call " + call + " row " + row + ": " + p.outputs() + " vs "
                                            + sequential.get(call).get(row).outputs());
                                }
                            });
                        }
                        CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        long rows = work.stream().mapToInt(List::size).sum() * (long) threads;
        assertThat(mismatches).isEmpty();
        assertThat(answers).hasSize((int) rows);
        assertThat(answers.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }

    @Test
    void aFullQueueRejectsAtOnceNamingItsCapacityAndTheAcceptedRequestsComplete() throws Exception {
        Blocking blocking = new Blocking();
        ServingFront front = ServingFront.builder().setModel(model).optWorkers(1).optMaxWait(Duration.ZERO)
                .optQueueCapacity(4).optListener(blocking).build();
        List<CompletableFuture<Predictions>> accepted = new ArrayList<>();
        try {
            accepted.add(front.submit(questions.get(0)));
            blocking.entered.await(); // the only worker is inside its batch, held
            for (int i = 1; i <= 4; i++) {
                accepted.add(front.submit(questions.get(i)));
            }
            int rejected = 0;
            for (int i = 5; i < 50; i++) {
                String text = questions.get(i);
                assertThatThrownBy(() -> front.submit(text)).isInstanceOf(QueueFullException.class)
                        .hasMessageContaining("4 requests are waiting").hasMessageContaining("optQueueCapacity 4");
                rejected++;
            }
            assertThat(front.queueDepth()).isEqualTo(4);
            assertThat(rejected).isEqualTo(45);
            assertThat(blocking.recorder.summary().rejected()).isEqualTo(45);
            assertThat(accepted.subList(1, 5)).noneMatch(CompletableFuture::isDone);
        } finally {
            blocking.countDown();
            front.close();
        }
        for (int i = 0; i < accepted.size(); i++) {
            assertThat(accepted.get(i).join().classification("intent").size()).isEqualTo(1);
        }
        assertThat(blocking.recorder.summary().completed()).isEqualTo(5);
    }

    @Test
    void closeWithAThousandQueuedRequestsAnswersEachOfThem() throws Exception {
        Blocking blocking = new Blocking();
        ServingFront front = ServingFront.builder().setModel(model).optWorkers(1).optMaxWait(Duration.ZERO)
                .optQueueCapacity(2000).optListener(blocking).build();
        CompletableFuture<Predictions> running = front.submit(questions.get(0), "intent");
        blocking.entered.await();
        // short texts, so that draining a thousand stays a few seconds on a busy machine
        List<CompletableFuture<Predictions>> queued = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            queued.add(front.submit("card " + i % 10, "intent"));
        }
        assertThat(front.queueDepth()).isEqualTo(1000);
        blocking.countDown();
        front.close();
        assertThat(queued).allSatisfy(f -> assertThat(f).isCompletedWithValueMatching(
                p -> p.classification("intent").size() == 1));
        assertThat(running).isCompleted();
        assertThat(blocking.computedRows.get()).isEqualTo(1001);
        assertThatThrownBy(() -> front.submit("too late")).isInstanceOf(FrontClosedException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void shutdownNowWithAThousandQueuedRequestsFailsEachOfThemAndFinishesTheRunningBatch() throws Exception {
        Blocking blocking = new Blocking();
        ServingFront front = ServingFront.builder().setModel(model).optWorkers(1).optMaxWait(Duration.ZERO)
                .optQueueCapacity(2000).optListener(blocking).build();
        CompletableFuture<Predictions> running = front.submit(questions.get(0), "intent");
        blocking.entered.await();
        List<CompletableFuture<Predictions>> queued = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            queued.add(front.submit(questions.get(1 + i % 300), "intent"));
        }
        CompletableFuture<Integer> failed = CompletableFuture.supplyAsync(front::shutdownNow);
        CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).handle((v, e) -> null).join();
        blocking.countDown();
        assertThat(failed.get()).isEqualTo(1000);
        assertThat(queued).allSatisfy(f -> assertThatThrownBy(f::join).hasCauseInstanceOf(FrontClosedException.class)
                .hasMessageContaining("shut down while it was queued"));
        assertThat(running.join().classification("intent").size()).isEqualTo(1);
        assertThat(blocking.computedRows.get()).isEqualTo(1);
    }

    @Test
    void cancelledAndTimedOutRequestsAreNotComputedAndFailTheirFutures() throws Exception {
        Blocking blocking = new Blocking();
        ServingFront front = ServingFront.builder().setModel(model).optWorkers(1).optMaxWait(Duration.ZERO)
                .optTimeout(Duration.ofMillis(300)).optListener(blocking).build();
        try {
            front.submit(questions.get(0));
            blocking.entered.await();
            CompletableFuture<Predictions> cancelled = front.submit(questions.get(1));
            CompletableFuture<Predictions> timedOut = front.submit(questions.get(2));
            cancelled.cancel(false);
            assertThatThrownBy(timedOut::get).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TimeoutException.class).hasMessageContaining("within its timeout of 300 ms");
            assertThatThrownBy(cancelled::join).isInstanceOf(CancellationException.class);
        } finally {
            blocking.countDown();
            front.close();
        }
        assertThat(blocking.computedRows.get()).isEqualTo(1);
    }

    @Test
    void badInputsFailOnlyTheirOwnRequestWithAClearMessage() {
        String tooLong = String.join(" ", Collections.nCopies(200, "card"));
        ServingRecorder recorder = new ServingRecorder();
        List<CompletableFuture<Predictions>> fs;
        try (ServingFront front = ServingFront.builder().setModel(model).optMaxWait(Duration.ofMinutes(1))
                .optListener(recorder).build()) {
            fs = front.submit(List.of(new Request(questions.get(3)), new Request(""), new Request(tooLong),
                    Request.of(questions.get(3), "intent", "sentiment"), Request.of(questions.get(3), "embed"),
                    new Request("   ")));
        }
        assertThatThrownBy(fs.get(1)::join).hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the text is empty");
        assertThatThrownBy(fs.get(2)::join).hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("it has 202 tokens; the limit is 128").hasMessageContaining("switch truncation on");
        assertThatThrownBy(fs.get(3)::join).hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown head 'sentiment'").hasMessageContaining("[intent, embed]");
        assertThatThrownBy(fs.get(5)::join).hasMessageContaining("the text is empty");
        assertThat(maxDiff(fs.get(0).join().classification("intent"),
                model.predict(List.of(questions.get(3))).classification("intent"))).isLessThanOrEqualTo(1e-5);
        assertThat(maxDiff(fs.get(4).join().embedding("embed"),
                model.predict(List.of(questions.get(3)), "embed").embedding("embed"))).isLessThanOrEqualTo(1e-5);
        // the unknown head went through the same batch as the good rows (one text, so one length: one batch)
        assertThat(recorder.summary().batches()).isEqualTo(1);
        assertThat(recorder.summary().meanBatch()).isEqualTo(3);
        assertThat(recorder.summary().failed()).isEqualTo(4);
    }

    @Test
    void buildRefusesABudgetBelowTheModelsMaximumLengthAndWarmsUpWhenAsked() {
        assertThatThrownBy(() -> ServingFront.builder().setModel(model).optTokenBudget(64).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("optTokenBudget 64")
                .hasMessageContaining("maximum length 128");
        assertThatThrownBy(() -> ServingFront.builder().build()).hasMessageContaining("no model set");
        assertThat(WarmUp.texts(model)).isNotEmpty().allSatisfy(t -> assertThat(t).isNotBlank());
        try (ServingFront front = ServingFront.builder().setModel(model).optWarmUp(true).build()) {
            assertThat(front.submit(questions.get(7)).join().heads()).containsExactly("intent", "embed");
        }
    }
}
