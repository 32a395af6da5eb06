package dev.graft.spark;

import java.io.Serial;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link GraftEmbedder} and {@link GraftPredictor} share: the text column, the backbone's settings, the batch
 * budget, and the run itself — {@code mapPartitions} over {@link BatchedPartition}, the model taken from the JVM's
 * {@link GraftModels}. Parameters are Spark ML {@link Param}s, saved and loaded with the pipeline
 * ({@link DefaultParamsWritable}).
 */
public abstract class GraftTransformer extends Transformer implements DefaultParamsWritable {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> inputCol;
    private final IntParam maxLength;
    private final IntParam threads;
    private final IntParam batchTokens;
    private final IntParam maxBatchRows;

    GraftTransformer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "the text column (string; null texts give null results)");
        maxLength = new IntParam(this, "maxLength", "token limit of the backbone; longer texts are truncated"
                + " (0: the model's own, 512 for the embedded models)", ParamValidators.gtEq(0));
        threads = new IntParam(this, "threads", "GEMM threads of the executor's backbone. 1 (default): every task runs"
                + " its own batches on its own core; 0: as many as the executor runs tasks at once (local[N] → N, else"
                + " spark.executor.cores), and the tasks take turns running one batch on all of them",
                ParamValidators.gtEq(0));
        batchTokens = new IntParam(this, "batchTokens", "token budget of a batch: texts × padded length",
                ParamValidators.gtEq(1));
        maxBatchRows = new IntParam(this, "maxBatchRows", "at most this many texts in one batch", ParamValidators.gtEq(1));
        setDefault(inputCol, "text");
        setDefault(maxLength, 0);
        setDefault(threads, 1);
        setDefault(batchTokens, 4096);
        setDefault(maxBatchRows, 64);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public IntParam maxLength() {
        return maxLength;
    }

    public IntParam threads() {
        return threads;
    }

    public IntParam batchTokens() {
        return batchTokens;
    }

    public IntParam maxBatchRows() {
        return maxBatchRows;
    }

    public String getInputCol() {
        return $(inputCol);
    }

    public int getMaxLength() {
        return (Integer) $(maxLength);
    }

    public int getThreads() {
        return (Integer) $(threads);
    }

    public int getBatchTokens() {
        return (Integer) $(batchTokens);
    }

    public int getMaxBatchRows() {
        return (Integer) $(maxBatchRows);
    }

    /** The columns this transformer appends, in order. */
    abstract StructField[] outputFields();

    /** The function that runs the model on a partition whose text column is at {@code textIndex}. */
    abstract BatchedPartition<?> partitionFunction(int textIndex, org.apache.spark.SparkContext sc);

    /** The backbone settings the executors open (or share); {@code threads} 0 is resolved here, on the driver. */
    GraftModels.BackboneKey backboneKey(String model, org.apache.spark.SparkContext sc) {
        int t = getThreads();
        if (t == 0) {
            t = sc.isLocal() ? sc.defaultParallelism() : sc.getConf().getInt("spark.executor.cores", 1);
        }
        return new GraftModels.BackboneKey(model, getMaxLength(), Math.max(1, t));
    }

    /** The token limit used to estimate batch sizes before the backbone is open. */
    int lengthLimit() {
        return getMaxLength() > 0 ? getMaxLength() : 512;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        Dataset<Row> result = df.mapPartitions(partitionFunction(df.schema().fieldIndex(getInputCol()),
                dataset.sparkSession().sparkContext()), Encoders.row(out));
        for (StructField f : java.util.Arrays.copyOfRange(out.fields(), df.schema().size(), out.size())) { // mapPartitions keeps the types, not the fields' metadata (labels)
            if (!f.metadata().equals(org.apache.spark.sql.types.Metadata.empty())) {
                result = result.withMetadata(f.name(), f.metadata());
            }
        }
        return result;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String in = getInputCol();
        if (!java.util.Arrays.asList(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException("inputCol: no column '" + in + "' in " + schema.simpleString());
        }
        if (!schema.apply(in).dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("inputCol: column '" + in + "' must be a string, it is "
                    + schema.apply(in).dataType().simpleString());
        }
        StructType out = schema;
        for (StructField f : outputFields()) {
            if (java.util.Arrays.asList(out.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("output column '" + f.name() + "' already exists in "
                        + schema.simpleString());
            }
            out = out.add(f);
        }
        return out;
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + ": uid=" + uid;
    }

    // Setters of the shared params return the concrete type through these.
    void setInputColValue(String value) {
        set(inputCol, value);
    }

    void setMaxLengthValue(int value) {
        set(maxLength, value);
    }

    void setThreadsValue(int value) {
        set(threads, value);
    }

    void setBatchTokensValue(int value) {
        set(batchTokens, value);
    }

    void setMaxBatchRowsValue(int value) {
        set(maxBatchRows, value);
    }
}
