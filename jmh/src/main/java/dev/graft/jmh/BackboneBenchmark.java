package dev.graft.jmh;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderOutput;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.util.Map;
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
 * Graft's BERT encoder against ONNX Runtime on the same model (all-MiniLM-L6-v2, f32), the same real token
 * batches and the same thread budget, in one JMH run.
 *
 * <p>Timed: the encoder forward only. Tokenisation happens once in the trial setup (see
 * {@link BackboneWorkload} for the texts and where the data is found). Graft runs each call in a child arena
 * closed at the end of the call (allocation and release of the scratch and output are part of the cost, as in
 * serving); ONNX Runtime runs its session on prepared int64 inputs and the output stays in native memory.
 *
 * <p>Read the {@code encode:sentences} row: sentences per second (the primary {@code encode} row counts batches).
 *
 * <pre>
 * mvn -q -Pbench -pl jmh -am package -DskipTests
 * java -jar jmh/target/benchmarks.jar BackboneBenchmark -wi 5 -w 5s -i 5 -r 5s -f 1
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Dai.djl.offline=true"})
public class BackboneBenchmark {
    /** The model: the embedded all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads). */
    static final String MODEL = "all-minilm-l6-v2";

    @Param({"graft", "ort"})
    public String impl;

    @Param({"32x128", "1x16"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    /** Graft: frozen weights pre-packed at build time (the default), or packed on every GEMM call ({@code false}). */
    @Param({"true"})
    public boolean prepack;

    private BertBackbone backbone;
    private TensorArena arena;
    private TokenBatch batch;
    private OrtEncoder ort;
    private Map<String, OnnxTensor> ortInputs;

    /** Sentences encoded, reported by JMH as a rate (sentences/s) beside the batches/s of the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Sentences {
        public long sentences;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException, OrtException {
        BackboneWorkload.Shape s = BackboneWorkload.Shape.of(shape);
        boolean graft = switch (impl) {
            case "graft" -> true;
            case "ort" -> false;
            default -> throw new IllegalArgumentException("impl must be graft or ort, was " + impl);
        };
        // The ORT trial still opens the backbone (tokenizer, model file) but keeps its kernels to one thread.
        backbone = Backbones.builder(MODEL).optThreads(graft ? threads : 1).optMaxLength(128)
                .optPrepackWeights(prepack).build();
        arena = TensorArena.root("backbone-benchmark");
        batch = BackboneWorkload.tokenize(backbone, BackboneWorkload.texts(backbone, s), s, arena);
        if (!graft) {
            ort = new OrtEncoder(backbone.checkpoint().weightsFile(), threads);
            ortInputs = ort.prepare(batch);
        }
    }

    @Benchmark
    public void encode(Sentences counter, Blackhole bh) throws OrtException {
        if (ort == null) {
            try (TensorArena call = arena.child("encode")) {
                EncoderOutput out = backbone.encode(batch, call, false);
                bh.consume(out.lastHidden().getFloat(0));
            }
        } else {
            try (OrtSession.Result result = ort.run(ortInputs)) {
                bh.consume(result.get(0));
            }
        }
        counter.sentences += batch.batchSize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (ortInputs != null) {
            ortInputs.values().forEach(OnnxTensor::close);
        }
        if (ort != null) {
            ort.close();
        }
        arena.close();
        backbone.close();
    }
}
