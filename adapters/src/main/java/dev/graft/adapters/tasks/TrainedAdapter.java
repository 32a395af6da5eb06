package dev.graft.adapters.tasks;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.adapter.PeftIO;
import dev.graft.adapters.head.HeadIO;
import dev.graft.adapters.train.LearningCurve;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An adapter and a head trained together through the frozen backbone. They are saved into one directory:
 * {@code adapter_config.json} + {@code adapter_model.safetensors} (Hugging Face PEFT's layout, which PEFT loads
 * and whose extra files it ignores) beside {@code head_config.json} + {@code head.safetensors}, and the learning
 * curve.
 */
public record TrainedAdapter(TrainedHead trained, Adapter adapter, String baseModel) {
    public TrainedAdapter {
        Objects.requireNonNull(trained, "trained");
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(baseModel, "baseModel");
    }

    /** Writes the pair into {@code dir} atomically (the directory appears only when complete). */
    public void save(Path dir) throws IOException {
        HeadIO.save(trained.head(), dir, trained.record(), tmp -> {
            LearningCurve.writePng(trained.result(), tmp.resolve(TrainedHead.LEARNING_CURVE));
            PeftIO.writeFiles(adapter, baseModel, tmp);
        });
    }
}
