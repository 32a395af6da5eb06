// Train a head on frozen features, evaluate it, save it, load it back.
// Run from the project root:  samples/notebook samples/notebooks/train-a-head.jsh
// jshell runs each snippet as soon as it is complete: multi-line method chains break after the dot.
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.compose.*;
import dev.graft.adapters.data.*;
import dev.graft.adapters.features.*;
import dev.graft.adapters.head.*;
import dev.graft.adapters.metrics.*;
import dev.graft.adapters.tasks.*;
import dev.graft.adapters.train.*;
import dev.graft.backbones.Backbones;
import java.nio.file.*;
import java.util.*;

Path shared = Path.of(System.getProperty("graft.shared.dir", "../shared"));
var backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).optMaxLength(128).build();

// Ten banking77 intents: train on their training rows, test on their test rows.
var all = CsvDataset.read(shared.resolve("datasets/banking77/train.csv"), "text", "category");
var labels = new TreeSet<>(all.stream().map(LabeledText::label).toList()).stream().limit(10).toList();
var train = all.stream().filter(t -> labels.contains(t.label())).toList();
var test = CsvDataset.read(shared.resolve("datasets/banking77/test.csv"), "text", "category").stream().
        filter(t -> labels.contains(t.label())).
        toList();
System.out.printf("%d training texts, %d test texts, %d intents%n", train.size(), test.size(), labels.size());

// AdamW with weight decay, seeded shuffles, a 10 % validation split and early stopping; a progress line per epoch.
var options = TrainingOptions.defaults().
        withCache(new FeatureCache(Files.createTempDirectory("graft-features"))).
        withTrainer(TrainerConfig.defaults().withEpochs(30).withSeed(7)).
        withListener(new ProgressBar(System.out, false));
System.out.println(options.trainer());           // what the training below uses: epochs=30, seed=7, ...
var trained = ClassificationTask.train(backbone, train, null, options);
System.out.printf("%d of %d epochs run, best epoch %d, validation accuracy %.3f, %d parameters%n",
        trained.result().epochsRun(), options.trainer().epochs(), trained.result().bestEpoch(),
        trained.result().bestMetric(), trained.head().parameterCount());

// Save: head_config.json + head.safetensors + learning-curve.png, written atomically.
Path dir = Files.createTempDirectory("graft-heads").resolve("intent");
trained.save(dir);
try (var files = Files.list(dir)) { files.forEach(System.out::println); }

// Load it back (checked against the backbone it was trained on) and evaluate on the test rows.
var loaded = HeadIO.load(dir, HeadTypes.registry(), BackboneInfo.of(backbone)).head();
var model = ComposedModel.builder().backbone(backbone).head("intent", loaded).build();
ClassificationMetrics m = ClassificationTask.evaluate(model, "intent", test, 32);
System.out.printf("test accuracy %.3f, macro-F1 %.3f%n", m.accuracy(), m.macroF1());
if (m.accuracy() < 0.8) throw new AssertionError("accuracy " + m.accuracy());

model.close();
backbone.close();
/exit
