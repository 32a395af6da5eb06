package dev.graft.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.bert.BertBackbone;
import dev.graft.backbones.testing.HostileModels;
import dev.graft.core.backbone.Pooling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GraftEmbedder on local[2], several partitions, real texts; checked against Graft's single-JVM API. */
class GraftEmbedderTest {
    static SparkSession spark;
    static List<String> texts;
    /** Graft's own embeddings of {@link #texts}: one backbone, batches of 32 in input order. */
    static float[][] reference;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkTesting.session("GraftEmbedderTest");
        texts = new ArrayList<>(SparkTesting.bankingQuestions(160));
        texts.addAll(SparkTesting.stsSentences(80));
        reference = new float[texts.size()][];
        try (BertBackbone bert = Backbones.builder("all-minilm-l6-v2").optThreads(2).build()) {
            for (int i = 0; i < texts.size(); i += 32) {
                float[][] e = bert.embed(texts.subList(i, Math.min(texts.size(), i + 32)), Pooling.MEAN, false);
                System.arraycopy(e, 0, reference, i, e.length);
            }
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** id → embedding of the rows of {@code out}. */
    static float[][] byId(Dataset<Row> out, String column, int n) {
        float[][] e = new float[n][];
        for (Row r : out.select("id", column).collectAsList()) {
            Object v = r.get(1);
            e[r.getInt(0)] = v == null ? null : v instanceof Vector vec ? toFloats(vec.toArray()) : toFloats(r.getList(1));
        }
        return e;
    }

    static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static float[] toFloats(List<Float> l) {
        float[] f = new float[l.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = l.get(i);
        }
        return f;
    }

    static void assertEqualsReference(float[][] got) {
        for (int i = 0; i < reference.length; i++) {
            assertThat(got[i]).as("text %d: %s", i, texts.get(i)).hasSize(reference[i].length);
            for (int k = 0; k < reference[i].length; k++) {
                assertThat(got[i][k]).as("text %d, dimension %d", i, k).isCloseTo(reference[i][k], within(1e-5f));
            }
        }
    }

    @Test
    void embeddingsOverSeveralPartitionsEqualTheSingleJvmApi() {
        Dataset<Row> df = SparkTesting.frame(spark, texts, 5);
        Dataset<Row> out = new GraftEmbedder().setInputCol("text").setOutputCol("embedding").transform(df);
        assertThat(out.schema().apply("embedding").dataType())
                .isEqualTo(DataTypes.createArrayType(DataTypes.FloatType, false));
        assertThat(out.rdd().getNumPartitions()).isEqualTo(5);
        assertEqualsReference(byId(out, "embedding", texts.size()));
    }

    @Test
    void vectorOutputForSparkMl() {
        Dataset<Row> df = SparkTesting.frame(spark, texts, 3);
        Dataset<Row> out = new GraftEmbedder().setOutputCol("features").setOutputType("vector").transform(df);
        assertThat(out.schema().apply("features").dataType().typeName()).isEqualTo("vector");
        assertEqualsReference(byId(out, "features", texts.size()));
    }

    @Test
    void oneBackbonePerJvmSharedByAllTasksAndPartitions() {
        // maxLength 256: settings no other test uses, so this backbone is opened here or never
        GraftEmbedder embedder = new GraftEmbedder().setMaxLength(256).setMaxBatchRows(8);
        int before = GraftModels.backbonesOpened();
        long rows = embedder.transform(SparkTesting.frame(spark, texts, 8)).count();
        long again = embedder.transform(SparkTesting.frame(spark, texts, 6)).filter("embedding is not null").count();
        assertThat(rows).isEqualTo(texts.size());
        assertThat(again).isEqualTo(texts.size());
        assertThat(GraftModels.backbonesOpened() - before)
                .as("14 partitions, 2 concurrent tasks, two jobs: one backbone").isEqualTo(1);
    }

    @Test
    void nullTextsGiveNullEmbeddings() {
        List<String> withNulls = new ArrayList<>(texts.subList(0, 20));
        withNulls.set(3, null);
        withNulls.set(17, null);
        float[][] got = byId(new GraftEmbedder().transform(SparkTesting.frame(spark, withNulls, 3)), "embedding", 20);
        assertThat(got[3]).isNull();
        assertThat(got[17]).isNull();
        for (int i = 0; i < 20; i++) {
            if (i != 3 && i != 17) {
                assertThat(got[i]).as("text %d", i).containsExactly(reference[i], within(1e-5f));
            }
        }
    }

    @Test
    void aRowTheModelFailsOnFailsTheTaskNamingTheRow() throws Exception {
        // finite weights that overflow on the word "card": the embedding of any text with it is NaN
        Path model = HostileModels.miniLmDirectory(dir.resolve("minilm-card"));
        HostileModels.overflowOn(model, "card");
        List<String> some = List.of("What is the exchange rate?", "Where is my new card?", "I want a refund.");
        Dataset<Row> df = SparkTesting.frame(spark, some, 1);
        assertThatThrownBy(() -> new GraftEmbedder().setModel(model.toString()).transform(df).collectAsList())
                .hasStackTraceContaining("partition 0, row 1 (text \"Where is my new card?\")")
                .hasStackTraceContaining("NaN");
    }

    @Test
    void aSavedPipelineRoundTrips() throws Exception {
        GraftEmbedder embedder = new GraftEmbedder().setInputCol("text").setOutputCol("vec").setNormalize(true)
                .setPooling("mean").setBatchTokens(2048);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {embedder});
        Dataset<Row> df = SparkTesting.frame(spark, texts.subList(0, 40), 2);
        PipelineModel fitted = pipeline.fit(df);
        String at = dir.resolve("pipeline").toString();
        fitted.write().save(at);
        PipelineModel loaded = PipelineModel.load(at);
        GraftEmbedder back = (GraftEmbedder) loaded.stages()[0];
        assertThat(back.uid()).isEqualTo(embedder.uid());
        assertThat(back.getOutputCol()).isEqualTo("vec");
        assertThat(back.getNormalize()).isTrue();
        assertThat(back.getBatchTokens()).isEqualTo(2048);
        float[][] a = byId(fitted.transform(df), "vec", 40);
        float[][] b = byId(loaded.transform(df), "vec", 40);
        for (int i = 0; i < 40; i++) {
            assertThat(b[i]).containsExactly(a[i], within(1e-6f));
            double norm = 0;
            for (float x : b[i]) {
                norm += x * x;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-4));
        }
        GraftEmbedder alone = GraftEmbedder.load(saveAlone(embedder));
        assertThat(alone.getBatchTokens()).isEqualTo(2048);
    }

    private static String saveAlone(GraftEmbedder e) throws Exception {
        String at = dir.resolve("embedder").toString();
        e.write().save(at);
        return at;
    }

    @Test
    void registeredAsSparkMlTransformers() {
        List<String> names = new ArrayList<>();
        ServiceLoader.load(Transformer.class).stream().forEach(p -> names.add(p.type().getName()));
        assertThat(names).contains(GraftEmbedder.class.getName(), GraftPredictor.class.getName());
    }

    @Test
    void aWrongColumnIsRefusedBeforeAnyWork() {
        Dataset<Row> df = SparkTesting.frame(spark, texts.subList(0, 4), 1);
        assertThatThrownBy(() -> new GraftEmbedder().setInputCol("body").transform(df))
                .hasMessageContaining("no column 'body'");
        assertThatThrownBy(() -> new GraftEmbedder().setInputCol("id").transform(df))
                .hasMessageContaining("column 'id' must be a string, it is int");
        assertThatThrownBy(() -> new GraftEmbedder().setOutputCol("text").transform(df))
                .hasMessageContaining("output column 'text' already exists");
        assertThat(Arrays.asList(new GraftEmbedder().params())).extracting(p -> p.name())
                .contains("inputCol", "outputCol", "model", "outputType", "batchTokens");
    }
}
