package dev.graft.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A secondary JMH metric: the CPU time the benchmark thread itself spent per operation. On a machine shared with
 * other work, wall-clock time also counts the time the thread waited for a core; thread CPU time does not, so for
 * single-threaded runs (where all the work happens on the benchmark thread — true of Graft and of OpenBLAS capped
 * at one thread) {@code GFLOP/s = flops / cpuNanos} stays close to what a quiet machine measures. Reported as the
 * {@code cpuNanos} and {@code calls} counters per iteration; {@link GemmTable} divides them.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class ThreadCpu {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    /** Benchmark-thread CPU nanoseconds spent inside the measured calls of this iteration. */
    public long cpuNanos;
    /** Measured calls in this iteration. */
    public long calls;

    private long start;

    @Setup(Level.Iteration)
    public void reset() {
        cpuNanos = 0;
        calls = 0;
    }

    /** Marks the start of one measured call. */
    public void begin() {
        start = MX.getCurrentThreadCpuTime();
    }

    /** Marks its end. */
    public void end() {
        cpuNanos += MX.getCurrentThreadCpuTime() - start;
        calls++;
    }
}
