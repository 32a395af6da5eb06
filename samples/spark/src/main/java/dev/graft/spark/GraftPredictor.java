package dev.graft.spark;

import dev.graft.adapters.compose.Predictions;
import java.io.Serial;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.StructField;

/**
 * Runs every head of a saved composed model ({@code ComposedModel.save}; or one head saved by {@code train-head})
 * on a text column: one backbone pass per batch, and one struct column per head, named {@code outputPrefix + head}
 * (the struct of each head kind: {@link SavedModelSchema}). The driver reads only the saved heads' files to know the
 * columns; each executor JVM loads the model once ({@link GraftModels}).
 *
 * <pre>{@code
 * Dataset<Row> scored = new GraftPredictor().setInputCol("text").setModelPath("/models/support").transform(tickets);
 * scored.select("text", "intent.label", "intent.score");
 * }</pre>
 */
public final class GraftPredictor extends GraftTransformer {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Param<String> modelPath;
    private final Param<String> backbone;
    private final Param<String> outputPrefix;

    public GraftPredictor() {
        this(Identifiable.randomUID("graftPredictor"));
    }

    public GraftPredictor(String uid) {
        super(uid);
        modelPath = new Param<>(this, "modelPath", "the saved composed model (model.json) or saved head directory: a"
                + " path every executor can read, or the name of one added with SparkContext.addFile(dir, true)");
        backbone = new Param<>(this, "backbone", "the backbone to run the heads on (an embedded model's name or a model"
                + " directory); empty: the one recorded with the model");
        outputPrefix = new Param<>(this, "outputPrefix", "put before each head's name to name its column");
        setDefault(backbone, "");
        setDefault(outputPrefix, "");
    }

    /** Reads a saved predictor (its params); {@code Pipeline.load} finds it through this method. */
    public static MLReader<GraftPredictor> read() {
        return new DefaultParamsReader<>();
    }

    public static GraftPredictor load(String path) {
        return read().load(path);
    }

    public Param<String> modelPath() {
        return modelPath;
    }

    public Param<String> backbone() {
        return backbone;
    }

    public Param<String> outputPrefix() {
        return outputPrefix;
    }

    public String getModelPath() {
        return $(modelPath);
    }

    public String getBackbone() {
        return $(backbone);
    }

    public String getOutputPrefix() {
        return $(outputPrefix);
    }

    public GraftPredictor setInputCol(String value) {
        setInputColValue(value);
        return this;
    }

    public GraftPredictor setModelPath(String value) {
        set(modelPath, value);
        return this;
    }

    public GraftPredictor setBackbone(String value) {
        set(backbone, value);
        return this;
    }

    public GraftPredictor setOutputPrefix(String value) {
        set(outputPrefix, value);
        return this;
    }

    public GraftPredictor setMaxLength(int value) {
        setMaxLengthValue(value);
        return this;
    }

    public GraftPredictor setThreads(int value) {
        setThreadsValue(value);
        return this;
    }

    public GraftPredictor setBatchTokens(int value) {
        setBatchTokensValue(value);
        return this;
    }

    public GraftPredictor setMaxBatchRows(int value) {
        setMaxBatchRowsValue(value);
        return this;
    }

    private SavedModelSchema schema() {
        if (!isDefined(modelPath)) {
            throw new IllegalArgumentException("GraftPredictor: set modelPath (a saved composed model or head directory)");
        }
        return SavedModelSchema.read(getModelPath());
    }

    @Override
    StructField[] outputFields() {
        List<StructField> fields = new ArrayList<>();
        schema().heads().forEach((name, kind) -> fields.add(SavedModelSchema.field(getOutputPrefix() + name, kind)));
        return fields.toArray(StructField[]::new);
    }

    @Override
    BatchedPartition<?> partitionFunction(int textIndex, org.apache.spark.SparkContext sc) {
        SavedModelSchema s = schema();
        String on = getBackbone().isEmpty() ? s.backbone() : getBackbone();
        return new Predict(textIndex, getBatchTokens(), getMaxBatchRows(), lengthLimit(),
                new GraftModels.ModelKey(getModelPath(), backboneKey(on, sc)), List.copyOf(s.heads().keySet()));
    }

    /** The executor side: runs every head of the JVM's composed model on a batch, one backbone pass. */
    static final class Predict extends BatchedPartition<Predictions> {
        @Serial
        private static final long serialVersionUID = 1L;
        private final GraftModels.ModelKey model;
        private final List<String> heads;

        Predict(int textIndex, int batchTokens, int maxBatchRows, int maxLength, GraftModels.ModelKey model,
                List<String> heads) {
            super(textIndex, batchTokens, maxBatchRows, maxLength, heads.size(), model.backbone());
            this.model = model;
            this.heads = heads;
        }

        @Override
        Predictions run(List<String> texts) {
            return GraftModels.model(model).predict(texts);
        }

        @Override
        Object[] columns(Predictions p, int i) {
            Object[] v = new Object[heads.size()];
            Map<String, dev.graft.adapters.head.HeadOutput> out = p.outputs();
            for (int h = 0; h < v.length; h++) {
                v[h] = SavedModelSchema.value(out.get(heads.get(h)), i);
            }
            return v;
        }
    }
}
