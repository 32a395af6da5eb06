package dev.graft.adapters.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.AdapterTypes;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.bottleneck.Bottleneck;
import dev.graft.adapters.bottleneck.BottleneckConfig;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TaggedSentence;
import dev.graft.adapters.ia3.Ia3;
import dev.graft.adapters.ia3.Ia3Config;
import dev.graft.adapters.lora.Lora;
import dev.graft.adapters.lora.LoraConfig;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.testing.TinyBackbone;
import dev.graft.adapters.train.AdapterTrainer;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.sites.SiteKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapter + head training through a frozen tiny backbone, end to end: it learns, it is reproducible, the backbone's
 * weights are untouched, the best epoch is what is kept, and the saved pair predicts what was validated.
 */
class AdapterTrainingTest {
    private static final List<String> WORDS = List.of("the", "my", "is", "where", "lost", "a", "new", "please",
            "closed");

    @TempDir
    Path tmp;

    /** Texts of 2–5 random words plus "card" or "bank", labelled by which of the two it holds. */
    static List<LabeledText> data(int n, long seed) {
        Random r = new Random(seed);
        List<LabeledText> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> words = new ArrayList<>();
            int len = 1 + r.nextInt(4);
            for (int w = 0; w < len; w++) {
                words.add(WORDS.get(r.nextInt(WORDS.size())));
            }
            boolean card = r.nextBoolean();
            words.add(r.nextInt(words.size() + 1), card ? "card" : "bank");
            out.add(new LabeledText(String.join(" ", words), card ? "card" : "bank", null));
        }
        return out;
    }

    static TrainingOptions options() {
        return TrainingOptions.defaults().withTrainer(TrainerConfig.defaults().withSeed(3).withValidationFraction(0.2));
    }

    static AdapterTrainer.Config schedule(int epochs) {
        return new AdapterTrainer.Config(epochs, 16, 1e-2, 5e-2, 0.01, 0.1, 1.0, 0.1f, 0.1f, 7, 50);
    }

    @Test
    void everyAdapterTypeLearnsReproduciblyAndLeavesTheBackboneUntouched() throws Exception {
        Path model = TinyBackbone.write(tmp.resolve("tiny"), 5);
        List<LabeledText> train = data(240, 1);
        List<Function<BertBackbone, Adapter>> kinds = List.of(
                b -> Lora.create(new LoraConfig(4, 8, 0.1f, java.util.Set.of(SiteKind.QUERY, SiteKind.VALUE), null,
                        false), b.encoder().sites(), 1),
                b -> Bottleneck.create(BottleneckConfig.houlsby(2), b.encoder().sites(), 2),
                b -> Ia3.create(Ia3Config.standard(), b.encoder().sites()));
        try (BertBackbone backbone = TinyBackbone.open(model)) {
            float[] weightBefore = backbone.encoder().weights().layers().get(0).query().weight().toFloatArray();
            for (Function<BertBackbone, Adapter> kind : kinds) {
                Adapter a = kind.apply(backbone);
                List<float[]> initial = a.parameters().stream().map(p -> p.values().clone()).toList();
                TrainedAdapter t = ClassificationTask.trainWithAdapter(backbone, a, train, null, options(), schedule(15));
                var history = t.trained().result().history();
                assertThat(history.getLast().trainLoss()).as(a.describe()).isLessThan(history.getFirst().trainLoss());
                assertThat(t.trained().result().bestMetric()).as(a.describe()).isGreaterThan(0.6);
                boolean changed = false;
                for (int i = 0; i < initial.size(); i++) {
                    changed |= !java.util.Arrays.equals(initial.get(i), a.parameters().get(i).values());
                }
                assertThat(changed).as("%s's parameters were trained", a.describe()).isTrue();

                Adapter again = kind.apply(backbone);
                ClassificationTask.trainWithAdapter(backbone, again, train, null, options(), schedule(15));
                for (int i = 0; i < initial.size(); i++) {
                    assertThat(again.parameters().get(i).values()).as("same seed, same %s", a.parameters().get(i).name())
                            .isEqualTo(a.parameters().get(i).values());
                }
            }
            assertThat(backbone.encoder().weights().layers().get(0).query().weight().toFloatArray())
                    .isEqualTo(weightBefore);
        }
    }

    @Test
    void theSavedPairPredictsWhatWasValidated() throws Exception {
        Path model = TinyBackbone.write(tmp.resolve("tiny"), 5);
        List<LabeledText> train = data(200, 2);
        List<LabeledText> validation = data(60, 3);
        try (BertBackbone backbone = TinyBackbone.open(model)) {
            Lora lora = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 1);
            TrainedAdapter t = ClassificationTask.trainWithAdapter(backbone, lora, train, validation, options(),
                    schedule(4));
            Path dir = tmp.resolve("pair");
            t.save(dir);
            assertThat(dir.resolve("adapter_config.json")).exists();
            assertThat(dir.resolve("head_config.json")).exists();
            AdaptedHead.Loaded loaded = AdaptedHead.load(dir, HeadTypes.registry(), AdapterTypes.registry(), backbone);
            assertThat(loaded.adapter().describe()).isEqualTo(lora.describe());
            for (int i = 0; i < lora.parameters().size(); i++) {
                Parameter p = lora.parameters().get(i);
                assertThat(loaded.adapter().parameters().get(i).values()).as(p.name()).isEqualTo(p.values());
            }
            try (ComposedModel m = ComposedModel.builder().backbone(backbone)
                    .head("intent", loaded.head(), loaded.adapter()).build()) {
                double accuracy = ClassificationTask.evaluate(m, "intent", validation, 32).accuracy();
                assertThat(accuracy).isCloseTo(t.trained().result().bestMetric(), within(1e-9));
            }
        }
    }

    /** Sentences of 2–5 words; a word's tag is "N" for card/bank, "V" for is/lost/closed, "O" otherwise. */
    static List<TaggedSentence> tagged(int n, long seed) {
        List<String> vocabulary = List.of("the", "my", "card", "is", "where", "lost", "bank", "a", "new", "closed");
        Random r = new Random(seed);
        List<TaggedSentence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> words = new ArrayList<>();
            List<String> tags = new ArrayList<>();
            for (int w = 0, len = 2 + r.nextInt(4); w < len; w++) {
                String word = vocabulary.get(r.nextInt(vocabulary.size()));
                words.add(word);
                tags.add(switch (word) {
                    case "card", "bank" -> "N";
                    case "is", "lost", "closed" -> "V";
                    default -> "O";
                });
            }
            out.add(new TaggedSentence(words, tags, null));
        }
        return out;
    }

    @Test
    void aTaggerTrainsWithAnAdapterAndItsSavedPairTagsAsValidated() throws Exception {
        Path model = TinyBackbone.write(tmp.resolve("tiny"), 5);
        try (BertBackbone backbone = TinyBackbone.open(model)) {
            Lora lora = Lora.create(LoraConfig.of(4, 8, SiteKind.QUERY, SiteKind.VALUE), backbone.encoder().sites(), 1);
            List<TaggedSentence> validation = tagged(40, 4);
            // a learned mix of every stage: the head can read the embeddings too, so the task is learnable whatever
            // the random layers do to a word's identity, and gradients still reach the adapter through the mix
            TrainedAdapter t = TaggingTask.trainWithAdapter(backbone, lora, tagged(160, 3), validation,
                    options().withLayers(dev.graft.adapters.head.LayerSelection.MIX), schedule(10));
            var history = t.trained().result().history();
            assertThat(history.getLast().trainLoss()).isLessThan(history.getFirst().trainLoss());
            assertThat(t.trained().result().bestMetric()).as("word accuracy").isGreaterThan(0.6);
            Path dir = tmp.resolve("tagger");
            t.save(dir);
            AdaptedHead.Loaded loaded = AdaptedHead.load(dir, HeadTypes.registry(), AdapterTypes.registry(), backbone);
            try (ComposedModel m = ComposedModel.builder().backbone(backbone)
                    .head("pos", loaded.head(), loaded.adapter()).build()) {
                assertThat(TaggingTask.evaluate(m, "pos", validation, 16).tokenAccuracy())
                        .isCloseTo(t.trained().result().bestMetric(), within(1e-9));
            }
        }
    }

    @Test
    void badSettingsAreRejectedWithTheirNames() {
        assertThatThrownBy(() -> new AdapterTrainer.Config(0, 16, 1e-3, 1e-3, 0, 0.1, 1, 0f, 0f, 1, 1))
                .hasMessageContaining("epochs");
        assertThatThrownBy(() -> new AdapterTrainer.Config(1, 16, 1e-3, 1e-3, 0, 0.1, 1, 1.5f, 0f, 1, 1))
                .hasMessageContaining("dropout rate");
    }
}
