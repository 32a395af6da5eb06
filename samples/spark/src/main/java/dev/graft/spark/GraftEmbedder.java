package dev.graft.spark;

import dev.graft.core.backbone.Pooling;
import java.io.Serial;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Sentence embeddings of a text column: appends {@code outputCol}, an {@code array<float>} (or, with
 * {@code outputType = "vector"}, an {@code ml.linalg.Vector} for Spark ML's estimators). Each executor JVM opens the
 * backbone once ({@link GraftModels}) and every task embeds its partition through it in token-budget batches.
 *
 * <pre>{@code
 * Dataset<Row> vectors = new GraftEmbedder().setInputCol("text").setOutputCol("embedding")
 *         .setModel("all-minilm-l6-v2").setNormalize(true).transform(texts);
 * }</pre>
 */
public final class GraftEmbedder extends GraftTransformer {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Param<String> outputCol;
    private final Param<String> model;
    private final Param<String> pooling;
    private final BooleanParam normalize;
    private final Param<String> outputType;
    private final Param<String> prefix;

    public GraftEmbedder() {
        this(Identifiable.randomUID("graftEmbedder"));
    }

    public GraftEmbedder(String uid) {
        super(uid);
        outputCol = new Param<>(this, "outputCol", "the embedding column to append");
        model = new Param<>(this, "model", "an embedded model's name (all-minilm-l6-v2, bge-small-en-v15,"
                + " e5-small-v2) or a Hugging Face model directory: a path every executor can read, or the name of one"
                + " added with SparkContext.addFile(dir, true)");
        pooling = new Param<>(this, "pooling", "mean or cls", ParamValidators.inArray(new String[] {"mean", "cls"}));
        normalize = new BooleanParam(this, "normalize", "scale every embedding to unit length");
        outputType = new Param<>(this, "outputType", "array (array<float>) or vector (ml.linalg.Vector of doubles)",
                ParamValidators.inArray(new String[] {"array", "vector"}));
        prefix = new Param<>(this, "prefix", "put before every text (e5-small-v2: 'query: ' or 'passage: ')");
        setDefault(outputCol, "embedding");
        setDefault(model, "all-minilm-l6-v2");
        setDefault(pooling, "mean");
        setDefault(normalize, false);
        setDefault(outputType, "array");
        setDefault(prefix, "");
    }

    /** Reads a saved embedder (its params); {@code Pipeline.load} finds it through this method. */
    public static MLReader<GraftEmbedder> read() {
        return new DefaultParamsReader<>();
    }

    public static GraftEmbedder load(String path) {
        return read().load(path);
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> model() {
        return model;
    }

    public Param<String> pooling() {
        return pooling;
    }

    public BooleanParam normalize() {
        return normalize;
    }

    public Param<String> outputType() {
        return outputType;
    }

    public Param<String> prefix() {
        return prefix;
    }

    public String getOutputCol() {
        return $(outputCol);
    }

    public String getModel() {
        return $(model);
    }

    public String getPooling() {
        return $(pooling);
    }

    public boolean getNormalize() {
        return (Boolean) $(normalize);
    }

    public String getOutputType() {
        return $(outputType);
    }

    public String getPrefix() {
        return $(prefix);
    }

    public GraftEmbedder setInputCol(String value) {
        setInputColValue(value);
        return this;
    }

    public GraftEmbedder setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    public GraftEmbedder setModel(String value) {
        set(model, value);
        return this;
    }

    public GraftEmbedder setPooling(String value) {
        set(pooling, value);
        return this;
    }

    public GraftEmbedder setNormalize(boolean value) {
        set(normalize, value);
        return this;
    }

    public GraftEmbedder setOutputType(String value) {
        set(outputType, value);
        return this;
    }

    public GraftEmbedder setPrefix(String value) {
        set(prefix, value);
        return this;
    }

    public GraftEmbedder setMaxLength(int value) {
        setMaxLengthValue(value);
        return this;
    }

    public GraftEmbedder setThreads(int value) {
        setThreadsValue(value);
        return this;
    }

    public GraftEmbedder setBatchTokens(int value) {
        setBatchTokensValue(value);
        return this;
    }

    public GraftEmbedder setMaxBatchRows(int value) {
        setMaxBatchRowsValue(value);
        return this;
    }

    @Override
    StructField[] outputFields() {
        DataType type = getOutputType().equals("vector") ? SQLDataTypes.VectorType()
                : DataTypes.createArrayType(DataTypes.FloatType, false);
        return new StructField[] {DataTypes.createStructField(getOutputCol(), type, true)};
    }

    @Override
    BatchedPartition<?> partitionFunction(int textIndex, org.apache.spark.SparkContext sc) {
        return new Embed(textIndex, getBatchTokens(), getMaxBatchRows(), lengthLimit(), backboneKey(getModel(), sc),
                Pooling.valueOf(getPooling().toUpperCase(Locale.ROOT)), getNormalize(), getOutputType().equals("vector"),
                getPrefix());
    }

    /** The executor side: embeds a batch on the JVM's backbone. */
    static final class Embed extends BatchedPartition<float[][]> {
        @Serial
        private static final long serialVersionUID = 1L;
        private final GraftModels.BackboneKey backbone;
        private final Pooling pooling;
        private final boolean normalize;
        private final boolean vector;
        private final String prefix;

        Embed(int textIndex, int batchTokens, int maxBatchRows, int maxLength, GraftModels.BackboneKey backbone,
              Pooling pooling, boolean normalize, boolean vector, String prefix) {
            super(textIndex, batchTokens, maxBatchRows, maxLength, 1, backbone);
            this.backbone = backbone;
            this.pooling = pooling;
            this.normalize = normalize;
            this.vector = vector;
            this.prefix = prefix;
        }

        @Override
        float[][] run(List<String> texts) {
            List<String> in = prefix.isEmpty() ? texts : texts.stream().map(t -> prefix + t).toList();
            return GraftModels.backbone(backbone).embed(in, pooling, normalize);
        }

        @Override
        Object[] columns(float[][] result, int i) {
            float[] e = result[i];
            if (!vector) {
                return new Object[] {e};
            }
            double[] d = new double[e.length];
            for (int k = 0; k < e.length; k++) {
                d[k] = e[k];
            }
            return new Object[] {Vectors.dense(d)};
        }
    }
}
