package dev.graft.jmh;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Request;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Many adapters, one backbone pass: a batch of 32 real banking77 test questions through all-MiniLM-L6-v2 with LoRA
 * r=8 on query and value (B random and non-zero) and a 77-label classification head per adapter, on 2 threads.
 *
 * <ul>
 *   <li>{@code plain} — (a) the plain backbone, one head ({@code predict});</li>
 *   <li>{@code one-adapter} — (b) one adapter for all 32 rows ({@code predict}, the adapter's own hooks);</li>
 *   <li>{@code one-adapter-routed} — (b) through {@code predictRows} (one routed segment);</li>
 *   <li>{@code routed-32} — (c) 32 rows over 32 different adapters in one routed pass ({@code predictRows});</li>
 *   <li>{@code grouped-32} — (d) rows grouped by adapter, one {@code predict} pass per group (32 of 1 row);</li>
 *   <li>{@code single-rows-32} — (e) 32 one-row {@code predictRows} calls;</li>
 *   <li>{@code routed-8x4} / {@code grouped-8x4} — (f) 8 adapters × 4 rows, one routed pass / one pass per adapter.</li>
 * </ul>
 * Read the {@code predict:texts} row: rows per second. On a machine shared with other work, run with
 * {@code -p threads=1} and read {@code predict:cpuNanos / predict:calls} too: the benchmark thread's CPU time per
 * batch ({@link ThreadCpu}), which waiting for a core does not inflate (with one thread all the work runs on it).
 *
 * <pre>
 * mvn -q -Pbench -pl jmh -am package -DskipTests
 * java -jar jmh/target/benchmarks.jar RoutingBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Dai.djl.offline=true"})
public class RoutingBenchmark {
    static final int BATCH = 32;

    @Param({"plain", "one-adapter", "one-adapter-routed", "routed-32", "grouped-32", "single-rows-32", "routed-8x4",
            "grouped-8x4"})
    public String mode;

    @Param({"2"})
    public int threads;

    private BertBackbone backbone;
    private ComposedModel model;
    private List<String> texts;
    /** The head (and so the adapter) of each row. */
    private List<String> headOfRow;
    private List<Request> requests;
    /** For the grouped modes: each adapter's head and its rows' texts. */
    private final List<String> groupHeads = new ArrayList<>();
    private final List<List<String>> groupTexts = new ArrayList<>();

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Texts {
        public long texts;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        backbone = Backbones.builder("all-minilm-l6-v2").optThreads(threads).build();
        BackboneInfo info = BackboneInfo.of(backbone);
        BackboneWorkload.Banking77 banking77 = BackboneWorkload.banking77Batch(BATCH);
        texts = banking77.batch();
        List<String> labels = banking77.labels();
        int adapters = switch (mode) {
            case "plain", "one-adapter", "one-adapter-routed" -> 1;
            case "routed-8x4", "grouped-8x4" -> 8;
            default -> BATCH;
        };
        ComposedModel.Builder b = ComposedModel.builder().backbone(backbone);
        for (int a = 0; a < adapters; a++) {
            Head head = new SequenceClassification().create(ClassificationConfig.of(labels), info, a);
            b.head("h" + a, head, mode.equals("plain") ? null : lora(a));
        }
        model = b.build();
        headOfRow = IntStream.range(0, BATCH).mapToObj(i -> "h" + (i * adapters / BATCH)).toList();
        requests = IntStream.range(0, BATCH).mapToObj(i -> Request.of(texts.get(i), headOfRow.get(i))).toList();
        for (int a = 0; a < adapters; a++) {
            String h = "h" + a;
            groupHeads.add(h);
            groupTexts.add(IntStream.range(0, BATCH).filter(i -> headOfRow.get(i).equals(h)).mapToObj(texts::get).toList());
        }
    }

    /** LoRA r=8, alpha 16 on query and value, A as initialised, B random and non-zero (seeded by {@code a}). */
    private Adapter lora(int a) {
        Lora lora = Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), a);
        Random r = new Random(1000 + a);
        for (Parameter p : lora.parameters()) {
            if (p.name().contains("lora_B")) {
                float[] v = p.values();
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (r.nextGaussian() * 0.02);
                }
            }
        }
        return lora;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
        backbone.close();
    }

    /** One request: the batch of 32 rows, each through its adapter and head. */
    @Benchmark
    public void predict(Texts counter, ThreadCpu cpu, Blackhole bh) {
        cpu.begin();
        switch (mode) {
            case "plain", "one-adapter" -> bh.consume(model.predict(texts, "h0"));
            case "one-adapter-routed", "routed-32", "routed-8x4" -> bh.consume(model.predictRows(requests));
            case "grouped-32", "grouped-8x4" -> {
                for (int g = 0; g < groupHeads.size(); g++) {
                    bh.consume(model.predict(groupTexts.get(g), groupHeads.get(g)));
                }
            }
            case "single-rows-32" -> {
                for (Request q : requests) {
                    bh.consume(model.predictRows(List.of(q)));
                }
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
        cpu.end();
        counter.texts += BATCH;
    }
}
