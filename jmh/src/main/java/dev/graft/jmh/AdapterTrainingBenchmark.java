package dev.graft.jmh;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.AdamW;
import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.nn.SoftmaxCrossEntropy;
import dev.graft.adapters.train.AdapterTrainer;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.bert.EncoderTape;
import dev.graft.backbones.sites.SiteKind;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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

/**
 * Training throughput through the frozen all-MiniLM-L6-v2: one full step of {@code train-head --adapter} — tokenise
 * a batch of 32 banking77 training questions (batches grouped by length, as the trainer makes them), training
 * forward with BERT's dropouts, backward through the adapted layers into the adapter and the 77-label linear head,
 * gradient clipping and the AdamW updates. Read the {@code step:examples} row: examples per second.
 *
 * <pre>
 * mvn -q -Pbench -pl jmh -am package -DskipTests
 * java -jar jmh/target/benchmarks.jar AdapterTrainingBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 10)
@Measurement(iterations = 5, time = 10)
@Fork(value = 1, jvmArgsAppend = {JvmFlags.ADD_MODULES, JvmFlags.ADD_OPENS, JvmFlags.NATIVE_ACCESS,
        JvmFlags.UNSAFE_MEMORY, "-Dai.djl.offline=true"})
public class AdapterTrainingBenchmark {
    static final int BATCH = 32;
    /** Training texts the benchmark cycles through (10 batches). */
    static final int TEXTS = 320;

    /** {@code lora}: r=8 on query and value of every layer; {@code houlsby}: reduction 16 at both sites. */
    @Param({"lora", "houlsby"})
    public String adapter;

    @Param({"1", "2"})
    public int threads;

    private BertBackbone backbone;
    private Adapter trained;
    private Layer head;
    private List<Parameter> parameters;
    private AdamW optimizer;
    private SoftmaxCrossEntropy loss;
    private final List<List<String>> batches = new ArrayList<>();
    private final List<int[]> labels = new ArrayList<>();
    private int next;
    private long step;
    private TensorArena arena;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Examples {
        public long examples;
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        backbone = Backbones.builder("all-minilm-l6-v2").optThreads(threads).build();
        List<LabeledText> train = CsvDataset.read(BackboneWorkload.sharedDir().resolve("datasets/banking77/train.csv"),
                "text", "category");
        List<String> names = train.stream().map(LabeledText::label).distinct().sorted().toList();
        List<LabeledText> chosen = IntStream.range(0, TEXTS).mapToObj(i -> train.get(i * 31 % train.size())).toList();
        List<String> texts = chosen.stream().map(LabeledText::text).toList();
        for (int[] b : AdapterTrainer.batchesByLength(texts, BATCH, new SplittableRandom(1))) {
            batches.add(IntStream.of(b).mapToObj(texts::get).toList());
            labels.add(IntStream.of(b).map(i -> names.indexOf(chosen.get(i).label())).toArray());
        }
        trained = switch (adapter) {
            case "lora" -> Lora.create(LoraConfig.of(8, 16, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 1);
            case "houlsby" -> Bottleneck.create(BottleneckConfig.houlsby(16), backbone.encoder().sites(), 1);
            default -> throw new IllegalArgumentException("adapter " + adapter);
        };
        head = ((NetworkHead) new SequenceClassification().create(ClassificationConfig.of(names),
                BackboneInfo.of(backbone), 1)).network();
        parameters = new ArrayList<>(trained.parameters());
        parameters.addAll(head.parameters());
        optimizer = new AdamW(5e-4, 0.01);
        loss = new SoftmaxCrossEntropy(names.size());
        arena = TensorArena.root("training-benchmark");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        backbone.close();
    }

    /** One training step over the next batch. */
    @Benchmark
    public double step(Examples counter) {
        List<String> texts = batches.get(next);
        int[] y = labels.get(next);
        next = (next + 1) % batches.size();
        AdamW.zeroGrad(parameters);
        double l;
        try (TensorArena s = arena.child("step")) {
            l = AdapterTrainer.step(backbone, trained, head, Pooling.MEAN, new int[] {6}, texts, y, loss,
                    new EncoderTape.Options(0.1f, 0.1f, step), step, s).loss();
        }
        step++;
        AdamW.clipGradNorm(parameters, 1.0);
        optimizer.step(parameters);
        counter.examples += texts.size();
        return l;
    }
}
