package dev.graft.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.compose.ComposedModel;
import dev.graft.adapters.compose.Predictions;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.samples.cli.GraftCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GraftPredictor on local[2] over banking77 test questions and STS-B sentences, with a composed model of a
 * classifier trained here (train-head on a banking77 slice, as a user does) and an embedding head; checked against
 * {@link ComposedModel#predict}.
 */
class GraftPredictorTest {
    static final Set<String> INTENTS = Set.of("card_arrival", "lost_or_stolen_card", "exchange_rate", "pin_blocked");

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path head;
    static Path model;
    static List<String> texts;
    static Predictions reference;

    @BeforeAll
    static void trainComposeAndPredict() throws Exception {
        Path train = dir.resolve("train.csv");
        List<String> lines = Files.readAllLines(SparkTesting.shared().resolve("datasets/banking77/train.csv"));
        List<String> slice = new ArrayList<>(List.of(lines.getFirst()));
        Map<String, Integer> count = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String label = l.substring(l.lastIndexOf(',') + 1);
            if (INTENTS.contains(label) && !l.contains("\"") && count.merge(label, 1, Integer::sum) <= 40) {
                slice.add(l);
            }
        }
        Files.write(train, slice);
        head = dir.resolve("intent");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = GraftCli.standard().run(new String[] {"train-head", "--task", "classification", "--train", train.toString(),
                "--label-column", "category", "--threads", "2", "--cache-dir", dir.resolve("cache").toString(),
                "--output", head.toString()}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();

        texts = new ArrayList<>();
        for (String l : Files.readAllLines(SparkTesting.shared().resolve("datasets/banking77/test.csv"))) {
            String label = l.substring(l.lastIndexOf(',') + 1);
            if (INTENTS.contains(label) && !l.contains("\"") && texts.size() < 80) {
                texts.add(l.substring(0, l.lastIndexOf(',')));
            }
        }
        texts.addAll(SparkTesting.stsSentences(40));

        model = dir.resolve("support-model");
        try (BertBackbone bert = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            BackboneInfo info = BackboneInfo.of(bert);
            try (ComposedModel m = ComposedModel.builder().backbone(bert)
                    .head("intent", HeadIO.load(head, HeadTypes.registry()).head())
                    .head("sentence", new SentenceEmbedding().create(EmbeddingConfig.meanPooled(), info, 0))
                    .build()) {
                m.save(model);
            }
            try (ComposedModel loaded = ComposedModel.load(model, bert, HeadTypes.registry())) {
                reference = loaded.predict(texts);
            }
        }
        spark = SparkTesting.session("GraftPredictorTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    static Map<Integer, Row> byId(Dataset<Row> out) {
        Map<Integer, Row> rows = new HashMap<>();
        for (Row r : out.collectAsList()) {
            rows.put(r.getInt(r.fieldIndex("id")), r);
        }
        return rows;
    }

    @Test
    void labelsEqualComposedModelPredictOneStructColumnPerHead() {
        Dataset<Row> out = new GraftPredictor().setModelPath(model.toString()).transform(SparkTesting.frame(spark, texts, 5));
        assertThat(out.columns()).containsExactly("id", "text", "intent", "sentence");
        assertThat(out.schema().apply("intent").metadata().getStringArray("labels"))
                .containsExactlyElementsOf(reference.classification("intent").labels());
        HeadOutput.Classification intents = reference.classification("intent");
        HeadOutput.Embedding sentences = reference.embedding("sentence");
        Map<Integer, Row> rows = byId(out);
        assertThat(rows).hasSize(texts.size());
        int sameLabel = 0;
        for (int i = 0; i < texts.size(); i++) {
            Row intent = rows.get(i).getStruct(rows.get(i).fieldIndex("intent"));
            assertThat(intent.getString(0)).as("text %d: %s", i, texts.get(i)).isEqualTo(intents.label(i));
            sameLabel++;
            List<Float> p = intent.getList(2);
            float[] expected = intents.probabilities(i);
            for (int k = 0; k < expected.length; k++) {
                assertThat(p.get(k)).isCloseTo(expected[k], within(1e-5f));
            }
            assertThat(intent.getFloat(1)).isCloseTo(expected[intents.labelIndex(i)], within(1e-5f));
            List<Float> v = rows.get(i).getStruct(rows.get(i).fieldIndex("sentence")).getList(0);
            float[] e = sentences.vector(i);
            for (int k = 0; k < e.length; k++) {
                assertThat(v.get(k)).isCloseTo(e[k], within(1e-5f));
            }
        }
        assertThat(sameLabel).isEqualTo(texts.size());
    }

    @Test
    void aSavedHeadDirectoryShippedWithAddFileAndNullTexts() {
        // the head directory reaches the executors through addFile: the predictor names it by its file name only
        spark.sparkContext().addFile(head.toString(), true);
        List<String> some = new ArrayList<>(texts.subList(0, 30));
        some.set(5, null);
        Dataset<Row> out = new GraftPredictor().setModelPath(head.getFileName().toString()).setOutputPrefix("p_")
                .transform(SparkTesting.frame(spark, some, 3));
        assertThat(out.columns()).containsExactly("id", "text", "p_intent");
        Map<Integer, Row> rows = byId(out);
        assertThat(rows.get(5).isNullAt(2)).isTrue();
        for (int i = 0; i < 30; i++) {
            if (i != 5) {
                assertThat(rows.get(i).getStruct(2).getString(0)).isEqualTo(reference.classification("intent").label(i));
            }
        }
    }

    @Test
    void oneComposedModelPerJvmAndASavedPipelineRoundTrips() throws Exception {
        GraftPredictor predictor = new GraftPredictor().setModelPath(model.toString()).setBatchTokens(1024).setMaxLength(200);
        int before = GraftModels.modelsOpened();
        int backbonesBefore = GraftModels.backbonesOpened();
        Dataset<Row> df = SparkTesting.frame(spark, texts, 6);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {predictor}).fit(df);
        String at = dir.resolve("pipeline").toString();
        fitted.write().save(at);
        PipelineModel loaded = PipelineModel.load(at);
        GraftPredictor back = (GraftPredictor) loaded.stages()[0];
        assertThat(back.getModelPath()).isEqualTo(model.toString());
        assertThat(back.getBatchTokens()).isEqualTo(1024);
        Map<Integer, Row> a = byId(fitted.transform(df));
        Map<Integer, Row> b = byId(loaded.transform(df));
        for (int i = 0; i < texts.size(); i++) {
            assertThat(b.get(i).getStruct(2).getString(0)).isEqualTo(a.get(i).getStruct(2).getString(0))
                    .isEqualTo(reference.classification("intent").label(i));
        }
        assertThat(GraftModels.modelsOpened() - before).as("12 partitions, two pipelines: one model").isEqualTo(1);
        assertThat(GraftModels.backbonesOpened() - backbonesBefore).as("maxLength 200: a backbone of its own").isEqualTo(1);
    }
}
