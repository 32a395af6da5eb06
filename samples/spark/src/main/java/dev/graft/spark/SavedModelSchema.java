package dev.graft.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.adapters.HeadTypes;
import dev.graft.adapters.classification.ClassificationConfig;
import dev.graft.adapters.embedding.EmbeddingConfig;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadConfig;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.regression.RegressionConfig;
import dev.graft.adapters.tagging.TaggingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The heads of a saved composed model (or of one saved head) and the struct column each becomes, read on the driver
 * from the saved files (no backbone is opened there). One struct per head kind:
 * <ul>
 *   <li>classification: {@code label} (the most probable), {@code score} (its probability), {@code probabilities}
 *       (every label's, in the head's label order — the field's metadata {@code labels} lists it)</li>
 *   <li>tagging: {@code words}, {@code tags} (a {@code null} tag for a word past the token limit) and {@code scores}</li>
 *   <li>embedding: {@code vector}</li>
 *   <li>regression: {@code score}</li>
 * </ul>
 *
 * @param backbone the backbone the heads were trained on, as recorded with them (an embedded model's name or a
 *                 model directory)
 * @param heads    head name → its kind, in the model's order
 */
record SavedModelSchema(String backbone, Map<String, Kind> heads) {

    /** A head kind and its labels (classification, tagging) or none. */
    record Kind(String name, List<String> labels) {
    }

    static SavedModelSchema read(String location) {
        try {
            Path dir = GraftModels.resolveDirectory(location);
            Map<String, Kind> heads = new LinkedHashMap<>();
            Path modelJson = dir.resolve("model.json");
            if (Files.isRegularFile(modelJson)) {
                JsonNode root = new ObjectMapper().readTree(modelJson.toFile());
                for (JsonNode n : root.path("heads")) {
                    heads.put(n.asText(), kind(dir.resolve("heads").resolve(n.asText())));
                }
                return new SavedModelSchema(root.path("provenance").path("backbone").path("name").asText(), heads);
            }
            Head head = HeadIO.load(dir, HeadTypes.registry()).head();
            heads.put(GraftModels.headName(dir), kind(head.config(), dir));
            return new SavedModelSchema(head.backbone().name(), heads);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the saved model at '" + location + "'", e);
        }
    }

    private static Kind kind(Path headDir) throws IOException {
        return kind(HeadIO.load(headDir, HeadTypes.registry()).head().config(), headDir);
    }

    private static Kind kind(HeadConfig config, Path dir) {
        return switch (config) {
            case ClassificationConfig c -> new Kind("classification", c.labels());
            case TaggingConfig t -> new Kind("tagging", t.labels());
            case EmbeddingConfig e -> new Kind("embedding", List.of());
            case RegressionConfig r -> new Kind("regression", List.of());
            default -> throw new IllegalArgumentException(dir + ": head config " + config.getClass().getName()
                    + " is not one GraftPredictor knows how to put in a column (classification, tagging, embedding,"
                    + " regression)");
        };
    }

    /** The struct column of one head. */
    static StructField field(String column, Kind kind) {
        StructType type = switch (kind.name()) {
            case "classification" -> new StructType()
                    .add("label", DataTypes.StringType, false)
                    .add("score", DataTypes.FloatType, false)
                    .add("probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), false);
            case "tagging" -> new StructType()
                    .add("words", DataTypes.createArrayType(DataTypes.StringType, false), false)
                    .add("tags", DataTypes.createArrayType(DataTypes.StringType, true), false)
                    .add("scores", DataTypes.createArrayType(DataTypes.FloatType, false), false);
            case "embedding" -> new StructType()
                    .add("vector", DataTypes.createArrayType(DataTypes.FloatType, false), false);
            case "regression" -> new StructType().add("score", DataTypes.FloatType, false);
            default -> throw new IllegalArgumentException("unknown head kind " + kind.name());
        };
        Metadata meta = new MetadataBuilder().putString("graft_head_kind", kind.name())
                .putStringArray("labels", kind.labels().toArray(String[]::new)).build();
        return DataTypes.createStructField(column, type, true, meta);
    }

    /** The struct value of text {@code i} of a head's output. */
    static Row value(HeadOutput output, int i) {
        return switch (output) {
            case HeadOutput.Classification c -> {
                HeadOutput.LabelScore best = c.top(i, 1).getFirst();
                yield RowFactory.create(best.label(), best.score(), c.probabilities(i));
            }
            case HeadOutput.Tagging t -> {
                float[] scores = t.scores().get(i);
                yield RowFactory.create(t.words().get(i).toArray(String[]::new),
                        new ArrayList<>(t.tags().get(i)).toArray(String[]::new), scores);
            }
            case HeadOutput.Embedding e -> RowFactory.create((Object) e.vector(i));
            case HeadOutput.Regression r -> RowFactory.create(r.score(i));
            default -> throw new IllegalArgumentException("head output " + output.getClass().getName()
                    + " has no column form");
        };
    }
}
