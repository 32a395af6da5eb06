package dev.graft.core.parallel;

/** SKELETON — replaced by the GEMM/pool work. */
public final class ComputePool implements AutoCloseable {
    /** Work item {@code index} of a {@link #parallelFor}, run by worker {@code worker} in [0, threads()). */
    @FunctionalInterface
    public interface IndexedTask {
        void run(int index, int worker);
    }

    private final int threads;

    public ComputePool(int threads) {
        this.threads = threads;
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task.run(i)} for every i in [0, tasks) on the pool's threads and the caller's; returns when all are done. */
    public void parallelFor(int tasks, IndexedTask task) {
        for (int i = 0; i < tasks; i++) {
            task.run(i, 0);
        }
    }

    @Override
    public void close() {
    }
}
