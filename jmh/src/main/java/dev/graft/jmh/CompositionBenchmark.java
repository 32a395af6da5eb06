package dev.graft.jmh;

import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * Is sharing real? One composed model serving N intent classifiers (77 banking77 labels each) from one backbone
 * pass, against the same model with one head, and against N one-head models called in turn (the backbone once per
 * head) — same backbone, same batch of 32 real banking77 questions, same threads, one JMH run.
 *
 * <p>Read the {@code predict:texts} row: texts per second through all the heads of the case.
 *
 * <pre>
 * mvn -q -Pbench -pl jmh -am package -DskipTests
 * java -jar jmh/target/benchmarks.jar CompositionBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Dai.djl.offline=true"})
public class CompositionBenchmark {
    /** Heads in the shared and in the separate cases. */
    static final int HEADS = 8;
    static final int BATCH = 32;

    /** {@code one-head}: 1 head; {@code shared}: 8 heads on one pass; {@code separate}: 8 one-head models in turn. */
    @Param({"one-head", "shared", "separate"})
    public String mode;

    @Param({"2"})
    public int threads;

    private BertBackbone backbone;
    private final List<ComposedModel> models = new ArrayList<>();
    private List<String> texts;

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
        List<Head> heads = new ArrayList<>();
        for (int h = 0; h < HEADS; h++) {
            heads.add(new SequenceClassification().create(ClassificationConfig.of(labels), info, h));
        }
        switch (mode) {
            case "one-head" -> models.add(ComposedModel.builder().backbone(backbone).head("h0", heads.getFirst()).build());
            case "shared" -> {
                ComposedModel.Builder b = ComposedModel.builder().backbone(backbone);
                for (int h = 0; h < HEADS; h++) {
                    b.head("h" + h, heads.get(h));
                }
                models.add(b.build());
            }
            case "separate" -> {
                for (int h = 0; h < HEADS; h++) {
                    models.add(ComposedModel.builder().backbone(backbone).head("h" + h, heads.get(h)).build());
                }
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        models.forEach(ComposedModel::close);
        backbone.close();
    }

    /** One request: the batch through every head of the case. */
    @Benchmark
    public void predict(Texts counter, Blackhole bh) {
        for (ComposedModel m : models) {
            bh.consume(m.predict(texts));
        }
        counter.texts += BATCH;
    }
}
