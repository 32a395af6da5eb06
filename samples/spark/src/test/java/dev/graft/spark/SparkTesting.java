package dev.graft.spark;

import dev.graft.adapters.data.CsvDataset;
import dev.graft.adapters.data.LabeledText;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsPair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** A local[2] session and real texts from ../shared (banking77 test questions, STS-B test sentences). */
final class SparkTesting {
    static final StructType TEXTS = new StructType().add("id", DataTypes.IntegerType, false)
            .add("text", DataTypes.StringType, true);

    private SparkTesting() {
    }

    static SparkSession session(String app) {
        return SparkSession.builder().master("local[2]").appName(app)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }

    static Path shared() {
        return Path.of(System.getProperty("graft.shared.dir"));
    }

    /** The first {@code n} banking77 test questions. */
    static List<String> bankingQuestions(int n) throws IOException {
        List<LabeledText> rows = CsvDataset.read(shared().resolve("datasets/banking77/test.csv"), "text", "category");
        return rows.stream().limit(n).map(LabeledText::text).toList();
    }

    /** The first sentences of the STS-B test pairs, {@code n} of them. */
    static List<String> stsSentences(int n) throws IOException {
        List<StsPair> pairs = StsBenchmark.read(shared(), StsBenchmark.Split.TEST);
        return pairs.stream().limit(n).map(StsPair::sentence1).toList();
    }

    /** (id, text) rows in {@code partitions} partitions; a null in {@code texts} is a null text. */
    static Dataset<Row> frame(SparkSession spark, List<String> texts, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i)));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), TEXTS);
    }
}
