package dev.graft.core.parallel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of compute threads that kernels split a loop over: {@code threads - 1} daemon workers
 * ({@code graft-compute-N}) started once, plus the thread that calls {@link #parallelFor}, which takes part.
 *
 * <p><b>Work distribution.</b> A {@code parallelFor(tasks, task)} hands out the indices 0..tasks-1 through one
 * atomic counter, so a fast thread takes more of them; the call returns when every index has run. Workers that
 * are asleep when a job starts are optional: if the caller (or the awake workers) drain the counter first, the
 * call returns without waiting for a late thread to wake up, which keeps latency low on a busy machine.
 * Idle workers spin for ~50 µs (so that back-to-back kernels find them awake), then park.
 *
 * <p><b>No allocation.</b> The job state is reused; a call allocates nothing once warmed up (the {@code task}
 * object is the caller's: pass a reusable one, not a fresh capturing lambda, on a hot path).
 *
 * <p><b>Concurrent and nested callers.</b> The pool runs one job at a time. A call made while the pool is busy
 * with another caller's job, or from inside a task of this pool (nested), runs its whole loop <em>inline</em> on
 * the calling thread, with worker index 0. Hence the contract for the {@code worker} argument: within one call
 * it identifies the executing thread uniquely (two threads never run tasks of the same call with the same index),
 * so an array of per-worker partial results owned by that call is safe. It is <em>not</em> unique across
 * concurrent calls: an inline call on another thread also reports 0. Scratch memory that outlives a call must
 * therefore be keyed on the thread ({@link ThreadLocal}), which is what Graft's kernels do.
 *
 * <p>An exception thrown by a task is rethrown to the caller once all claimed tasks have finished (tasks not yet
 * started are skipped). After {@link #close()} the pool throws {@link IllegalStateException}.
 */
public final class ComputePool implements AutoCloseable {

    /** Work item {@code index} of a {@link #parallelFor}, run by worker {@code worker} in [0, threads()). */
    @FunctionalInterface
    public interface IndexedTask {
        void run(int index, int worker);
    }

    /** How long an idle worker, or a caller waiting for the last task, spins before it parks. */
    private static final long SPIN_NANOS = 50_000;
    /** Low bits of {@link #state}: the number of workers that joined the current job; this bit closes it. */
    private static final long CLOSED_JOB = 1L << 31;
    private static final long JOINED_MASK = CLOSED_JOB - 1;

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;

    // The current job. Written by its owner before the job is published through `state`; read by a worker
    // only after it joined the job (the owner does not touch them again until every joined worker left).
    private IndexedTask task;
    private int taskCount;
    private Thread owner;
    /** (job generation << 32) | joined workers, plus CLOSED_JOB once the owner stopped accepting joiners. */
    private final AtomicLong state = new AtomicLong(CLOSED_JOB);
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger left = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean ownerParked;
    private int generation;

    /** Starts {@code threads - 1} daemon workers; {@code threads == 1} starts none and runs every loop inline. */
    public ComputePool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this, i + 1);
            workers[i].start();
        }
    }

    /** Threads a loop may run on, the caller's included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task.run(i, worker)} for every i in [0, tasks) on the pool's threads and the caller's, and
     * returns when all have run. Runs inline on the caller when the pool has one thread, is busy with another
     * call, or when called from one of its own tasks.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void parallelFor(int tasks, IndexedTask task) {
        if (closed) {
            throw new IllegalStateException("ComputePool is closed");
        }
        if (tasks < 0) {
            throw new IllegalArgumentException("tasks must be >= 0, was " + tasks);
        }
        if (tasks == 0) {
            return;
        }
        if (threads == 1 || tasks == 1 || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < tasks; i++) {
                task.run(i, 0);
            }
            return;
        }
        try {
            runJob(tasks, task);
        } finally {
            busy.set(false);
        }
    }

    private void runJob(int tasks, IndexedTask job) {
        if (closed) {
            throw new IllegalStateException("ComputePool is closed");
        }
        this.task = job;
        this.taskCount = tasks;
        this.owner = Thread.currentThread();
        next.set(0);
        left.set(0);
        failure.set(null);
        int gen = ++generation;
        state.set((long) gen << 32); // publish: joiners may now read the fields above
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w);
            }
        }
        drain(0);
        long s = state.getAndSet(((long) gen << 32) | CLOSED_JOB);
        int joined = (int) (s & JOINED_MASK);
        awaitLeft(joined);
        this.task = null;
        this.owner = null;
        Throwable t = failure.get();
        if (t != null) {
            failure.set(null);
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new RuntimeException(t);
        }
    }

    /** Claims and runs indices until none is left. */
    private void drain(int worker) {
        IndexedTask t = task;
        int count = taskCount;
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            if (failure.get() != null) {
                continue;
            }
            try {
                t.run(i, worker);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }
    }

    /** Waits (spin, then park) until the {@code joined} workers of the current job have left it. */
    private void awaitLeft(int joined) {
        long start = System.nanoTime();
        while (left.get() != joined) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            ownerParked = true;
            if (left.get() != joined) {
                LockSupport.park(this);
            }
            ownerParked = false;
        }
    }

    /**
     * Called by a worker that saw job {@code gen} open: joins it unless the owner has closed it meanwhile,
     * runs indices until none is left, and leaves.
     */
    private void join(long gen, int worker) {
        while (true) {
            long s = state.get();
            if ((s >>> 32) != gen || (s & CLOSED_JOB) != 0) {
                return;
            }
            if (state.compareAndSet(s, s + 1)) {
                break;
            }
        }
        Thread jobOwner = owner;
        drain(worker);
        left.incrementAndGet();
        if (ownerParked) {
            LockSupport.unpark(jobOwner);
        }
    }

    /** Stops the workers (waiting for them to finish the current job). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
        Thread me = Thread.currentThread();
        for (Worker w : workers) {
            if (w != me) {
                try {
                    w.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** A daemon thread that waits for jobs and joins them with a fixed worker index. */
    private static final class Worker extends Thread {
        private final ComputePool pool;
        private final int index;
        volatile boolean parked;

        Worker(ComputePool pool, int index) {
            super("graft-compute-" + index);
            this.pool = pool;
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            long seenGen = 0;
            while (true) {
                long s = awaitNewJob(seenGen);
                if (pool.closed) {
                    return;
                }
                seenGen = s >>> 32;
                pool.join(seenGen, index);
            }
        }

        /** Spins, then parks, until a job newer than {@code seenGen} is open or the pool closes. */
        private long awaitNewJob(long seenGen) {
            AtomicLong state = pool.state;
            long start = System.nanoTime();
            int spins = 0;
            while (true) {
                long s = state.get();
                if ((s >>> 32) != seenGen && (s & CLOSED_JOB) == 0 || pool.closed) {
                    return s;
                }
                if ((s >>> 32) != seenGen) {
                    seenGen = s >>> 32; // a job we missed entirely has already closed
                }
                if ((++spins & 63) != 0 || System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                s = state.get();
                if (((s >>> 32) == seenGen || (s & CLOSED_JOB) != 0) && !pool.closed) {
                    LockSupport.park(pool);
                }
                parked = false;
                start = System.nanoTime();
            }
        }
    }
}
