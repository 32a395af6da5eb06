package dev.graft.adapters.tasks;

import dev.graft.adapters.adapter.AdaptedHead;
import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.train.LearningCurve;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An adapter and a head trained together through the frozen backbone, saved as an {@link AdaptedHead}: one
 * directory with {@code adapter_config.json} + {@code adapter_model.safetensors} (Hugging Face PEFT's layout) beside
 * {@code head_config.json} + {@code head.safetensors}, plus the learning curve.
 */
public record TrainedAdapter(TrainedHead trained, Adapter adapter) {
    public TrainedAdapter {
        Objects.requireNonNull(trained, "trained");
        Objects.requireNonNull(adapter, "adapter");
    }

    /** Writes the pair into {@code dir} atomically (the directory appears only when complete). */
    public void save(Path dir) throws IOException {
        AdaptedHead.save(trained.head(), adapter, dir, trained.record(),
                tmp -> LearningCurve.writePng(trained.result(), tmp.resolve(TrainedHead.LEARNING_CURVE)));
    }
}
