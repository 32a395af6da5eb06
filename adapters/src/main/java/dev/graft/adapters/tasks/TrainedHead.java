package dev.graft.adapters.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.adapters.head.Head;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.train.LearningCurve;
import dev.graft.adapters.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A head fresh from training, with its history and a record of how it was made (data sizes, options, best
 * epoch, whether the features came from the cache).
 */
public record TrainedHead(Head head, TrainingResult result, ObjectNode record, boolean featuresFromCache) {

    public static final String LEARNING_CURVE = "learning-curve.png";

    /**
     * Saves the head ({@code head_config.json} with this record, {@code head.safetensors}) and its learning curve
     * ({@code learning-curve.png}) into {@code dir}, atomically: an interrupted or failed save leaves no
     * directory behind.
     */
    public void save(Path dir) throws IOException {
        HeadIO.save(head, dir, record, tmp -> LearningCurve.writePng(result, tmp.resolve(LEARNING_CURVE)));
    }
}
