// Graft quickstart: one frozen backbone, several task heads, one backbone pass per call.
// Run from the project root:  samples/notebook samples/notebooks/quickstart.jsh
// jshell reads this file line by line and runs each snippet as soon as it is complete, so a method chain that goes
// on over several lines breaks after a dot (a line starting with ".filter(" would be a snippet of its own).
import dev.graft.adapters.classification.*;
import dev.graft.adapters.compose.*;
import dev.graft.adapters.data.*;
import dev.graft.adapters.embedding.*;
import dev.graft.adapters.features.*;
import dev.graft.adapters.head.*;
import dev.graft.adapters.tagging.*;
import dev.graft.adapters.tasks.*;
import dev.graft.adapters.train.*;
import dev.graft.backbones.Backbones;
import java.nio.file.*;
import java.util.*;

Path shared = Path.of(System.getProperty("graft.shared.dir", "../shared"));

// 1. The backbone: all-MiniLM-L6-v2, shipped inside a Maven artifact, memory-mapped and frozen.
var backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).optMaxLength(128).build();
var info = BackboneInfo.of(backbone);
System.out.println(info.describe());

// 2. An intent head, trained in a few seconds on 4 banking77 intents (features cached as Arrow files).
Set<String> intents = Set.of("card_arrival", "lost_or_stolen_card", "exchange_rate", "pin_blocked");
var train = CsvDataset.read(shared.resolve("datasets/banking77/train.csv"), "text", "category").stream().
        filter(t -> intents.contains(t.label())).
        toList();
var options = TrainingOptions.defaults().
        withCache(new FeatureCache(Files.createTempDirectory("graft-features"))).
        withTrainer(TrainerConfig.defaults().withEpochs(15));
var intent = ClassificationTask.train(backbone, train, null, options).head();

// 3. More heads on the same backbone: sentence embeddings (no training needed) and a part-of-speech tagger
//    reading layer 3 (trained on 200 sentences of UD English-EWT).
var embed = new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0);
var ewt = ConlluDataset.read(shared.resolve("datasets/ud_english_ewt/en_ewt-ud-dev.conllu")).subList(0, 200);
var pos = TaggingTask.train(backbone, ewt, null, options.withLayers(new LayerSelection.Layer(3))).head();

// 4. Compose: the model is immutable and thread-safe; each call runs the backbone once for all heads.
var model = ComposedModel.builder().backbone(backbone).
        head("intent", intent).
        head("embed", embed).
        head("pos", pos).
        build();
System.out.println(model.plan());

var texts = List.of("I lost my card on the train", "What exchange rate do you use?", "My card has not arrived yet");
var p = model.predict(texts);
for (int i = 0; i < texts.size(); i++) {
    System.out.printf("%-40s intent=%-20s pos=%s%n", texts.get(i), p.classification("intent").label(i), p.tagging("pos").tags().get(i));
}
System.out.printf("cosine(card lost, card not arrived) = %.3f%n", p.embedding("embed").cosine(0, 2));
System.out.printf("cosine(card lost, exchange rate)    = %.3f%n", p.embedding("embed").cosine(0, 1));

// 5. Ask for a subset of heads per call, and see where the model came from.
System.out.println(model.predict(texts, "intent").heads());
System.out.println(model.provenance());

model.close();
backbone.close();
/exit
