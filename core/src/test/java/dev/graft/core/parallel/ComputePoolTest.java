package dev.graft.core.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class ComputePoolTest {

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2, 3})
    void everyIndexRunsExactlyOnceWithAValidWorker(int threads) {
        try (ComputePool pool = new ComputePool(threads)) {
            for (int tasks : new int[] {0, 1, 2, 7, 1000}) {
                for (int rep = 0; rep < 50; rep++) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                    AtomicIntegerArray badWorker = new AtomicIntegerArray(1);
                    pool.parallelFor(tasks, (i, w) -> {
                        runs.incrementAndGet(i);
                        if (w < 0 || w >= threads) {
                            badWorker.incrementAndGet(0);
                        }
                    });
                    for (int i = 0; i < tasks; i++) {
                        assertThat(runs.get(i)).as("index %d of %d", i, tasks).isEqualTo(1);
                    }
                    assertThat(badWorker.get(0)).isZero();
                }
            }
        }
    }

    @Test
    void workersAreNamedDaemonsAndTheCallerTakesPart() throws Exception {
        try (ComputePool pool = new ComputePool(3)) {
            assertThat(pool.threads()).isEqualTo(3);
            ConcurrentHashMap<String, Integer> seen = new ConcurrentHashMap<>();
            CountDownLatch allIn = new CountDownLatch(3);
            // Three tasks that wait for each other can only finish if three distinct threads run them.
            pool.parallelFor(3, (i, w) -> {
                seen.put(Thread.currentThread().getName() + "/" + Thread.currentThread().isDaemon(), w);
                allIn.countDown();
                try {
                    assertThat(allIn.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(seen).containsKeys(Thread.currentThread().getName() + "/" + Thread.currentThread().isDaemon(),
                    "graft-compute-1/true", "graft-compute-2/true");
            assertThat(seen.values()).containsExactlyInAnyOrder(0, 1, 2);
        }
    }

    @Test
    void oneThreadRunsInlineWithoutWorkers() {
        try (ComputePool pool = new ComputePool(1)) {
            Thread me = Thread.currentThread();
            List<Thread> ran = new ArrayList<>();
            pool.parallelFor(5, (i, w) -> ran.add(Thread.currentThread()));
            assertThat(ran).hasSize(5).containsOnly(me);
        }
    }

    @Test
    void anExceptionInATaskReachesTheCaller() {
        try (ComputePool pool = new ComputePool(2)) {
            for (int rep = 0; rep < 20; rep++) {
                int bad = rep * 7 % 100;
                assertThatThrownBy(() -> pool.parallelFor(100, (i, w) -> {
                    if (i == bad) {
                        throw new IllegalArgumentException("task " + i + " failed");
                    }
                })).isInstanceOf(IllegalArgumentException.class).hasMessage("task " + bad + " failed");
            }
            // The pool still works afterwards.
            AtomicLong sum = new AtomicLong();
            pool.parallelFor(100, (i, w) -> sum.addAndGet(i));
            assertThat(sum.get()).isEqualTo(4950);
        }
    }

    @Test
    void concurrentCallersFromEightThreadsGetCorrectResults() throws Exception {
        try (ComputePool pool = new ComputePool(2)) {
            int callers = 8;
            long[] results = new long[callers];
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < callers; t++) {
                int id = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        long total = 0;
                        for (int rep = 0; rep < 300; rep++) {
                            int tasks = 50 + id;
                            long[] perTask = new long[tasks];
                            pool.parallelFor(tasks, (i, w) -> perTask[i] = (long) i * (id + 1));
                            total += Arrays.stream(perTask).sum();
                        }
                        results[id] = total;
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).isEmpty();
            for (int id = 0; id < callers; id++) {
                long tasks = 50 + id;
                assertThat(results[id]).as("caller %d", id).isEqualTo(300L * (id + 1) * tasks * (tasks - 1) / 2);
            }
        }
    }

    @Test
    void nestedCallsRunInlineWithoutDeadlock() {
        try (ComputePool pool = new ComputePool(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(20 * 30);
            pool.parallelFor(20, (outer, w) -> {
                Thread me = Thread.currentThread();
                pool.parallelFor(30, (inner, w2) -> {
                    assertThat(Thread.currentThread()).isSameAs(me);
                    assertThat(w2).isZero();
                    runs.incrementAndGet(outer * 30 + inner);
                });
            });
            for (int i = 0; i < runs.length(); i++) {
                assertThat(runs.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void useAfterCloseThrows() {
        ComputePool pool = new ComputePool(2);
        pool.parallelFor(10, (i, w) -> { });
        pool.close();
        pool.close(); // idempotent
        assertThatThrownBy(() -> pool.parallelFor(10, (i, w) -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        ComputePool single = new ComputePool(1);
        single.close();
        assertThatThrownBy(() -> single.parallelFor(1, (i, w) -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new ComputePool(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closeStopsTheWorkers() throws Exception {
        ComputePool pool = new ComputePool(3);
        java.util.Set<Thread> ran = ConcurrentHashMap.newKeySet();
        CountDownLatch allIn = new CountDownLatch(3);
        pool.parallelFor(3, (i, w) -> {
            ran.add(Thread.currentThread());
            allIn.countDown();
            try {
                allIn.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        ran.remove(Thread.currentThread());
        assertThat(ran).hasSize(2).allMatch(Thread::isAlive);
        pool.close();
        for (Thread t : ran) {
            t.join(5000);
            assertThat(t.isAlive()).as(t.getName()).isFalse();
        }
    }
}
