package dev.graft.adapters.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadMismatchException;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.LayerSelection;
import dev.graft.adapters.nn.Parameter;
import dev.graft.adapters.regression.Regression;
import dev.graft.adapters.regression.RegressionConfig;
import dev.graft.adapters.tagging.TaggingConfig;
import dev.graft.adapters.tagging.TokenClassification;
import dev.graft.adapters.testing.CountingKernels;
import dev.graft.adapters.testing.MiniLm;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.kernels.Kernels;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComposedModelTest {
    static final List<String> TEXTS = List.of(
            "I lost my card yesterday and need a new one.",
            "How long does a transfer to another bank take?",
            "Why was I charged twice?");

    static Kernels real;
    static CountingKernels counting;
    static BertBackbone backbone;
    static BackboneInfo info;
    static ComposedModel model;

    @BeforeAll
    static void compose() throws Exception {
        real = Kernels.create(2);
        counting = new CountingKernels(real);
        backbone = MiniLm.open(counting.kernels());
        info = BackboneInfo.of(backbone);
        model = ComposedModel.builder()
                .backbone(backbone)
                .head("intent", new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c")), info, 1))
                .head("intent-mlp", new SequenceClassification().create(
                        ClassificationConfig.of(List.of("x", "y")).withHidden(16, "gelu").withLayers(LayerSelection.MIX), info, 2))
                .head("pos", new TokenClassification().create(TaggingConfig.of(List.of("NOUN", "VERB", "DET")).withLayers(new LayerSelection.Layer(3)), info, 3))
                .head("ner", new TokenClassification().create(TaggingConfig.of(List.of("B-ORG", "I-ORG", "O")), info, 4))
                .head("embed", new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0))
                .head("score", new Regression().create(RegressionConfig.linear(), info, 5))
                .build();
    }

    @AfterAll
    static void close() {
        model.close();
        assertThat(model.allocatedBytes()).isZero();
        backbone.close();
        real.close();
    }

    @Test
    void oneCallRunsTheBackboneOnceForEveryHead() {
        counting.reset();
        Predictions p = model.predict(TEXTS);
        // every encoder pass runs 1 + 2 × layers layer norms; six heads must not add passes
        assertThat(counting.calls("layerNorm")).isEqualTo(1 + 2L * info.numLayers());
        assertThat(p.heads()).containsExactly("intent", "intent-mlp", "pos", "ner", "embed", "score");
        assertThat(model.plan().backbonePasses()).isEqualTo(1);
    }

    @Test
    void eachHeadGivesWhatItGivesAlone() {
        Predictions all = model.predict(TEXTS);
        for (String name : model.headNames()) {
            ComposedModel alone = ComposedModel.builder().backbone(backbone).head(name, model.head(name)).build();
            try (alone) {
                assertThat(alone.predict(TEXTS).outputs().get(name)).isEqualTo(all.outputs().get(name));
            }
        }
    }

    @Test
    void aSubsetOfHeadsRunsOnlyThose() {
        Predictions p = model.predict(TEXTS, "intent", "embed");
        assertThat(p.heads()).containsExactly("intent", "embed");
        assertThat(model.plan("intent").steps()).contains(new Step.Encode(false));
        assertThat(model.plan("pos").steps()).contains(new Step.Tokenize(true), new Step.Encode(true));
    }

    @Test
    void classificationIsSoftmaxOfTheLinearLayerOverTheMeanPooledState() {
        float[][] pooled = backbone.embed(TEXTS, Pooling.MEAN, false);
        Head head = model.head("intent");
        List<Parameter> params = head.parameters();
        float[] w = params.get(0).values();
        float[] b = params.get(1).values();
        HeadOutput.Classification c = model.predict(TEXTS, "intent").classification("intent");
        for (int i = 0; i < TEXTS.size(); i++) {
            double[] logits = new double[3];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 3; k++) {
                logits[k] = b[k];
                for (int d = 0; d < info.hiddenSize(); d++) {
                    logits[k] += (double) w[k * info.hiddenSize() + d] * pooled[i][d];
                }
                max = Math.max(max, logits[k]);
            }
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                sum += Math.exp(logits[k] - max);
            }
            for (int k = 0; k < 3; k++) {
                assertThat((double) c.probabilities(i)[k]).isCloseTo(Math.exp(logits[k] - max) / sum, within(1e-5));
            }
            assertThat(c.top(i, 3)).hasSize(3);
            assertThat(c.top(i, 1).getFirst().label()).isEqualTo(c.label(i));
        }
    }

    @Test
    void theEmbeddingHeadMatchesTheBackbonesOwnNormalisedEmbeddings() {
        float[][] expected = backbone.embed(TEXTS, Pooling.MEAN, true);
        HeadOutput.Embedding e = model.predict(TEXTS, "embed").embedding("embed");
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(e.vector(i)).containsExactly(expected[i], within(1e-6f));
        }
        assertThat(e.cosine(0, 0)).isCloseTo(1.0, within(1e-6));
        assertThat(e.cosine(0, 1)).isLessThan(0.99);
    }

    @Test
    void taggingLabelsEveryWordOfTextsAndOfPreSplitSentences() {
        HeadOutput.Tagging t = model.predict(TEXTS, "pos").tagging("pos");
        assertThat(t.words().get(2)).containsExactly("Why", "was", "I", "charged", "twice", "?");
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(t.tags().get(i)).hasSameSizeAs(t.words().get(i));
        }
        List<List<String>> words = List.of(List.of("I", "do", "n't", "know"), List.of("Hello"));
        Predictions p = model.predict(new Inputs.Words(words), List.of("pos", "ner"));
        assertThat(p.tagging("pos").tags().get(0)).hasSize(4);
        assertThat(p.tagging("ner").tags().get(1)).hasSize(1);
        // spans are decoded from BIO tags: every span starts where the tags say an entity starts
        HeadOutput.Tagging ner = p.tagging("ner");
        for (int i = 0; i < words.size(); i++) {
            for (HeadOutput.Span s : ner.spans().get(i)) {
                assertThat(s.type()).isEqualTo("ORG");
                assertThat(s.end()).isGreaterThan(s.start());
            }
        }
    }

    @Test
    void badRequestsAndBadCompositionsGiveClearErrors() {
        assertThatThrownBy(() -> model.predict(TEXTS, "sentiment"))
                .hasMessageContaining("unknown head 'sentiment'").hasMessageContaining("intent");
        assertThatThrownBy(() -> model.predict(List.of("fine", " ")))
                .hasMessageContaining("text 1 is empty");
        assertThatThrownBy(() -> model.predict(List.of()))
                .hasMessageContaining("empty");
        Head intent = model.head("intent");
        assertThatThrownBy(() -> ComposedModel.builder().backbone(backbone).head("a", intent).head("a", intent).head("b c", intent).build())
                .hasMessageContaining("'a' is used twice").hasMessageContaining("'b c'");
        assertThatThrownBy(() -> ComposedModel.builder().head("a", intent).build()).hasMessageContaining("no backbone");
        BackboneInfo other = new BackboneInfo("bge-small-en-v15", "0".repeat(64), info.hiddenSize(), info.numLayers());
        Head foreign = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b")), other, 1);
        assertThatThrownBy(() -> ComposedModel.builder().backbone(backbone).head("foreign", foreign).build())
                .isInstanceOf(HeadMismatchException.class)
                .hasMessageContaining("bge-small-en-v15").hasMessageContaining(info.name());
        assertThatThrownBy(() -> new SequenceClassification().create(
                ClassificationConfig.of(List.of("a", "b")).withLayers(new LayerSelection.Layer(9)), info, 1))
                .hasMessageContaining("layer 9 does not exist");
    }

    @Test
    void provenanceNamesTheBackboneHashHeadsAndPlatform() {
        String text = model.provenance().toString();
        assertThat(text).contains(info.sha256(), "head intent: classification", "head pos: tagging", Runtime.version().toString());
        assertThat(model.provenance().toJson().path("heads").size()).isEqualTo(6);
    }

    @Test
    void aSavedModelLoadsBackAndPredictsTheSame(@TempDir Path dir) throws Exception {
        Path saved = dir.resolve("model");
        model.save(saved);
        assertThat(saved.resolve("model.json")).exists();
        assertThat(saved.resolve("heads/intent/head.safetensors")).exists();
        try (ComposedModel loaded = ComposedModel.load(saved, backbone, HeadTypes.registry())) {
            assertThat(loaded.headNames()).containsExactlyElementsOf(model.headNames());
            assertThat(loaded.predict(TEXTS).outputs()).isEqualTo(model.predict(TEXTS).outputs());
        }
    }

    @Test
    void pairsAreEncodedAsOneSequenceForPairHeads() {
        Predictions p = model.predict(new Inputs.Pairs(List.of("a cat sits", "it rains"), List.of("a cat is sitting", "the sun shines")),
                Set.of("score"));
        assertThat(p.regression("score").scores()).hasSize(2);
        assertThatThrownBy(() -> model.predict(new Inputs.Pairs(List.of("a"), List.of("b")), List.of("pos")))
                .hasMessageContaining("tagging");
    }

    /**
     * A classifier whose weights are all finite but overflow on some inputs: class 0 gets weight and bias
     * {@code Float.MAX_VALUE} on a feature that is positive for {@code TEXTS[1]} only, so its logit is +∞ for that
     * text and finite for the others.
     */
    static Head overflowingOnTheSecondText() {
        float[][] features = backbone.embed(TEXTS, Pooling.MEAN, false);
        int j = -1;
        for (int c = 0; c < info.hiddenSize() && j < 0; c++) {
            if (features[1][c] > 0.01f && features[0][c] < -0.01f && features[2][c] < -0.01f) {
                j = c;
            }
        }
        assertThat(j).as("a feature positive for the second text only").isNotNegative();
        Head head = new SequenceClassification().create(ClassificationConfig.of(List.of("a", "b", "c")), info, 1);
        Parameter w = head.parameters().stream().filter(p -> p.name().equals("classifier.weight")).findFirst().orElseThrow();
        Parameter b = head.parameters().stream().filter(p -> p.name().equals("classifier.bias")).findFirst().orElseThrow();
        w.values()[j] = Float.MAX_VALUE;
        b.values()[0] = Float.MAX_VALUE;
        return head;
    }

    @Test
    void aNonFiniteHeadOutputFailsTheCallNamingTheHeadAndTheInput() {
        Head bad = overflowingOnTheSecondText();
        try (ComposedModel m = ComposedModel.builder().backbone(backbone).head("fine", model.head("intent")).head("bad", bad).build()) {
            assertThat(m.predict(List.of(TEXTS.get(0), TEXTS.get(2))).classification("bad").size())
                    .as("the other texts are fine").isEqualTo(2);
            assertThatThrownBy(() -> m.predict(TEXTS))
                    .isInstanceOfSatisfying(dev.graft.core.tensor.NonFiniteOutputException.class, e -> {
                        assertThat(e.input()).isEqualTo(1);
                        assertThat(e.text()).isEqualTo(TEXTS.get(1));
                        assertThat(e.value()).isEqualTo(Float.POSITIVE_INFINITY);
                    })
                    .hasMessageStartingWith("the output of head 'bad' (classification) of input 1 (\"How long does a transfer"
                            + " to another bank take?\") is Infinity (element 0)");
            // through the task API, which sorts texts by length into batches: still the caller's index
            assertThatThrownBy(() -> dev.graft.adapters.tasks.ClassificationTask.predict(m, "bad", TEXTS, 1))
                    .isInstanceOfSatisfying(dev.graft.core.tensor.NonFiniteOutputException.class,
                            e -> assertThat(e.input()).isEqualTo(1));
            assertThat(m.allocatedBytes()).as("the failed calls released their memory").isZero();
        }
    }
}
