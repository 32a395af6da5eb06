package dev.graft.adapters.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.data.ConlluDataset;
import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.adapters.data.TaggedSentence;
import dev.graft.adapters.data.UnknownLabelException;
import dev.graft.adapters.features.FeatureCache;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.metrics.ClassificationMetrics;
import dev.graft.adapters.metrics.TaggingMetrics;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.adapters.train.TrainerConfig;
import dev.graft.backbones.bert.BertBackbone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training heads end to end on small real slices of banking77 and UD English-EWT. */
class HeadTrainingTest {
    static BertBackbone backbone;
    static List<LabeledText> train;
    static List<LabeledText> test;

    @TempDir
    static Path cacheDir;
    @TempDir
    Path out;

    @BeforeAll
    static void open() throws Exception {
        backbone = MiniLm.open();
        Set<String> labels = Set.of("card_arrival", "lost_or_stolen_card", "exchange_rate", "cash_withdrawal_charge", "pin_blocked");
        java.util.Map<String, Integer> taken = new java.util.HashMap<>();
        train = CsvDataset.read(MiniLm.dataset("banking77/train.csv"), "text", "category").stream()
                .filter(t -> labels.contains(t.label()) && taken.merge(t.label(), 1, Integer::sum) <= 80).toList();
        test = CsvDataset.read(MiniLm.dataset("banking77/test.csv"), "text", "category").stream()
                .filter(t -> labels.contains(t.label())).toList();
    }

    @AfterAll
    static void close() {
        backbone.close();
    }

    static TrainingOptions options() {
        return TrainingOptions.defaults().withCache(new FeatureCache(cacheDir))
                .withTrainer(TrainerConfig.defaults().withEpochs(30).withLearningRate(3e-3).withSeed(7));
    }

    @Test
    void aClassifierLearnsIntentsReusesItsFeaturesAndIsReproducibleBitForBit() throws Exception {
        TrainedHead first = ClassificationTask.train(backbone, train, null, options());
        TrainedHead second = ClassificationTask.train(backbone, train, null, options());
        assertThat(second.featuresFromCache()).isTrue();
        List<Parameter> a = first.head().parameters();
        List<Parameter> b = second.head().parameters();
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).values()).as(a.get(i).name()).containsExactly(a.get(i).values());
        }
        first.save(out.resolve("intent"));
        assertThat(ImageIO.read(out.resolve("intent").resolve(TrainedHead.LEARNING_CURVE).toFile())).isNotNull();
        var loaded = HeadIO.load(out.resolve("intent"), HeadTypes.registry());
        assertThat(loaded.training().path("train_examples").asInt()).isEqualTo(train.size());
        try (ComposedModel model = ComposedModel.builder().backbone(backbone).head("intent", loaded.head()).build()) {
            ClassificationMetrics m = ClassificationTask.evaluate(model, "intent", test, 16);
            assertThat(m.total()).isEqualTo(test.size());
            assertThat(m.accuracy()).as("5 intents, 400 training texts").isGreaterThan(0.9);

            List<LabeledText> unseen = new ArrayList<>(test.subList(0, 3));
            unseen.add(new LabeledText("Where is my card?", "card_delivery_estimate"));
            assertThatThrownBy(() -> ClassificationTask.evaluate(model, "intent", unseen, 16))
                    .isInstanceOf(UnknownLabelException.class).hasMessageContaining("card_delivery_estimate");
        }
    }

    @Test
    void aTaggerLearnsPartsOfSpeechFromAMixOfLayers() throws Exception {
        List<TaggedSentence> ewt = ConlluDataset.read(MiniLm.dataset("ud_english_ewt/en_ewt-ud-dev.conllu"));
        List<TaggedSentence> trainSentences = ewt.subList(0, 300);
        List<TaggedSentence> testSentences = ewt.subList(1500, 1700);
        TrainedHead tagger = TaggingTask.train(backbone, trainSentences, null, options().withLayers(LayerSelection.MIX));
        assertThat(tagger.head().parameters().getFirst().name()).isEqualTo("mix.weights");
        try (ComposedModel model = ComposedModel.builder().backbone(backbone).head("upos", tagger.head()).build()) {
            TaggingMetrics m = TaggingTask.evaluate(model, "upos", testSentences, 16);
            assertThat(m.tokenAccuracy()).as("300 training sentences").isGreaterThan(0.85);
            assertThat(m.entities()).as("UPOS is not a BIO tag set").isEmpty();
        }
    }

    @Test
    void anInterruptedSaveLeavesNoHeadDirectory() throws Exception {
        TrainedHead head = ClassificationTask.train(backbone, train.subList(0, 300), null,
                options().withTrainer(TrainerConfig.defaults().withEpochs(2)));
        Path target = out.resolve("never");
        Files.createDirectories(out.resolve("blocker"));
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> head.save(target)).isInstanceOf(java.io.IOException.class); // ClosedByInterruptException or ours
        } finally {
            Thread.interrupted();
        }
        assertThat(target).doesNotExist();
        try (var s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("blocker");
        }
    }
}
