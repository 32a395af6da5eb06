package dev.graft.jmh;

import dev.graft.attention.AttentionKernel;
import dev.graft.attention.dense.DenseAttention;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.TensorArena;
import dev.graft.jmh.TimingKernels.Stage;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where Graft's encoder forward spends its time, stage by stage, on {@link BackboneBenchmark}'s workload: every
 * kernel call is timed through {@link TimingKernels}, each layer's attention as a whole, and the arena work of
 * one call (child arenas, the output and scratch tensors, close) is replayed on its own. The instrumented forward
 * is also timed against an uninstrumented one, so the timers' own cost shows.
 *
 * <pre>
 * java [the JVM flags of BackboneBenchmark] -cp jmh/target/benchmarks.jar dev.graft.jmh.BackboneProfile \
 *      32x128|1x16 [threads, default 1] [seconds, default 20]
 * </pre>
 */
public final class BackboneProfile {
    private BackboneProfile() {
    }

    /** Mean wall and process-CPU (user + system, all threads) milliseconds per forward over {@code forwards}. */
    record Timing(double wallMs, double cpuMs, long forwards) {
    }

    public static void main(String[] args) throws Exception {
        BackboneWorkload.Shape shape = BackboneWorkload.Shape.of(args.length > 0 ? args[0] : "32x128");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 20;

        try (Kernels plain = Kernels.create(threads)) {
            BertConfig c;
            List<String> texts;
            Timing uninstrumented;
            try (BertBackbone bert = backbone(plain).build(); TensorArena arena = TensorArena.root("profile")) {
                c = bert.config();
                texts = BackboneWorkload.texts(bert, shape);
                TokenBatch batch = BackboneWorkload.tokenize(bert, texts, shape, arena);
                timeForwards(bert, batch, arena, seconds / 4); // warm-up
                uninstrumented = timeForwards(bert, batch, arena, seconds / 4);
            }
            TimingKernels timed = new TimingKernels(plain, c.hiddenSize(), c.intermediateSize());
            LongAdder attentionNanos = new LongAdder();
            try (BertBackbone bert = backbone(timed).optAttention(k -> Collections.nCopies(c.numLayers(),
                    timedAttention(new DenseAttention(k), attentionNanos))).build();
                 TensorArena arena = TensorArena.root("profile")) {
                TokenBatch batch = BackboneWorkload.tokenize(bert, texts, shape, arena);
                timeForwards(bert, batch, arena, seconds / 4); // warm-up
                timed.reset();
                attentionNanos.reset();
                Timing instrumented = timeForwards(bert, batch, arena, seconds / 2);
                double arenaMs = arenaMillis(arena, shape, c, instrumented.forwards());
                System.out.printf("%nGraft encoder profile: %s tokens, %s × %d threads%n", shape.label(),
                        plain.name(), plain.threads());
                System.out.printf("forward uninstrumented: %.3f ms wall (%.1f sentences/s), %.3f ms process CPU%n",
                        uninstrumented.wallMs(), shape.batch * 1000 / uninstrumented.wallMs(), uninstrumented.cpuMs());
                report(instrumented, timed, attentionNanos.sum() / 1e6 / instrumented.forwards(), arenaMs);
            }
        }
    }

    private static BertBackbone.Builder backbone(Kernels kernels) throws java.io.IOException {
        return Backbones.builder(BackboneBenchmark.MODEL).optKernels(kernels).optMaxLength(128);
    }

    /** Runs forwards, each in its own child arena as in the benchmark, for about {@code seconds} (at least 3). */
    private static Timing timeForwards(BertBackbone bert, TokenBatch batch, TensorArena arena, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long forwards = 0;
        float sink = 0;
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        do {
            try (TensorArena call = arena.child("encode")) {
                sink += bert.encode(batch, call, false).lastHidden().getFloat(0);
            }
            forwards++;
        } while (System.nanoTime() < deadline || forwards < 3);
        double wall = (System.nanoTime() - t0) / 1e6 / forwards;
        double cpu = (processCpuNanos() - cpu0) / 1e6 / forwards;
        if (Float.isNaN(sink)) {
            throw new IllegalStateException("the encoder returned NaN");
        }
        return new Timing(wall, cpu, forwards);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static AttentionKernel timedAttention(AttentionKernel inner, LongAdder nanos) {
        return new AttentionKernel() {
            @Override
            public String name() {
                return "timed(" + inner.name() + ")";
            }

            @Override
            public void attend(int batch, int tokens, int heads, int headSize, float scale, MemorySegment q,
                               long qOff, MemorySegment k, long kOff, MemorySegment v, long vOff, int ldQkv,
                               MemorySegment mask, long maskOff, MemorySegment out, long outOff, int ldOut) {
                long t0 = System.nanoTime();
                inner.attend(batch, tokens, heads, headSize, scale, q, qOff, k, kOff, v, vOff, ldQkv, mask, maskOff,
                        out, outOff, ldOut);
                nanos.add(System.nanoTime() - t0);
            }
        };
    }

    /** Mean ms of the arena work one encode call does (BertEncoder's allocations, replayed without compute). */
    private static double arenaMillis(TensorArena arena, BackboneWorkload.Shape shape, BertConfig c, long forwards) {
        long n = (long) shape.batch * shape.tokens;
        long reps = Math.max(forwards, 200);
        long t0 = 0;
        for (long i = 0; i < 2 * reps; i++) { // the first half warms up
            if (i == reps) {
                t0 = System.nanoTime();
            }
            try (TensorArena call = arena.child("encode")) {
                call.allocateUninitialized(DType.F32, shape.batch, shape.tokens, c.hiddenSize());   // output
                try (TensorArena work = call.child("bert-forward")) {
                    for (int s = 0; s < 4; s++) {
                        work.allocateUninitialized(DType.F32, n, c.hiddenSize());                  // q, k, v, ctx
                    }
                    work.allocateUninitialized(DType.F32, n, c.intermediateSize());                // ffn
                }
            }
        }
        return (System.nanoTime() - t0) / 1e6 / reps;
    }

    private static void report(Timing fwd, TimingKernels t, double attentionMs, double arenaMs) {
        double ms = fwd.wallMs();
        System.out.printf("forward instrumented:   %.3f ms wall, %d forwards timed%n", ms, fwd.forwards());
        System.out.printf("%-36s %10s %7s %9s %9s%n", "stage", "ms/fwd", "% fwd", "calls/fwd", "GFLOP/s");
        double accounted = attentionMs;
        for (Stage s : Stage.values()) {
            if (s.topLevel && t.calls(s) > 0) {
                accounted += row(s.label, t, s, fwd);
            }
        }
        System.out.printf("%-36s %10.3f %6.1f%%%n", "attention (wall, whole)", attentionMs, 100 * attentionMs / ms);
        for (Stage s : Stage.values()) {
            if (!s.topLevel && t.calls(s) > 0) {
                row("  " + s.label + " (cpu)", t, s, fwd);
            }
        }
        double rest = ms - accounted;
        System.out.printf("%-36s %10.3f %6.1f%%%n", "rest (embedding copy, arena, glue)", rest, 100 * rest / ms);
        System.out.printf("%-36s %10.3f %6.1f%%   (replayed alone)%n", "  arena alloc/free", arenaMs,
                100 * arenaMs / ms);
    }

    private static double row(String label, TimingKernels t, Stage s, Timing fwd) {
        double ms = t.nanos(s) / 1e6 / fwd.forwards();
        String gflops = t.flops(s) > 0 ? String.format("%9.1f", t.flops(s) / (double) t.nanos(s)) : "";
        System.out.printf("%-36s %10.3f %6.1f%% %9d %s%n", label, ms, 100 * ms / fwd.wallMs(),
                t.calls(s) / fwd.forwards(), gflops);
        return ms;
    }
}
