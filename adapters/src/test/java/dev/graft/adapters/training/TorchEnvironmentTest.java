package dev.graft.adapters.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.graft.backbones.testing.ModelResources;
import dev.graft.backbones.tokenizer.BertTokenizer;
import dev.graft.backbones.tokenizer.TokenizerSettings;
import dev.graft.core.backbone.TokenBatch;
import dev.graft.core.tensor.TensorArena;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * The test classpath's DJL arrangement works: the PyTorch engine (api 0.35.1, libtorch 2.7.1 from the
 * pytorch-native-cpu jar, offline) and Graft's Hugging Face tokenizer (tokenizers 0.38.0, running on that same
 * ai.djl:api) both work in one JVM.
 */
class TorchEnvironmentTest {

    @Test
    void theEngineIsTheOneTheIssueNamesAndRunsOffline() {
        assertThat(System.getProperty("ai.djl.offline")).as("surefire runs DJL offline").isEqualTo("true");
        assertThat(TorchBertLayer.torchVersion()).isEqualTo("2.7.1");
        assertThat(Engine.getDjlVersion()).as("ai.djl:api on the test classpath").isEqualTo("0.35.1");
    }

    @Test
    void tokenizerAndTorchWorkInTheSameJvm() {
        try (TensorArena arena = TensorArena.root("tokenizer-and-torch");
             BertTokenizer tokenizer = BertTokenizer.fromJson("minilm", ModelResources.bytes(ModelResources.MINILM_TOKENIZER),
                     TokenizerSettings.forModel(ModelResources.VOCAB_SIZE, ModelResources.MAX_POSITIONS))) {
            TokenBatch batch = tokenizer.encode(List.of("hello torch", "a longer second sentence here"), arena);
            int[] ids = batch.inputIds().toIntArray();
            int[] mask = batch.attentionMask().toIntArray();
            assertThat(batch.batchSize()).isEqualTo(2);
            assertThat(ids[0]).as("[CLS]").isEqualTo(101);
            assertThat(batch.lengths()[0]).isLessThan(batch.lengths()[1]);
            assertThat(ids[batch.lengths()[0] - 1]).as("[SEP]").isEqualTo(102);

            // a torch op with autograd on the tokenizer's output: d/dx Σ erf(x²) = 4x/√π · exp(−x⁴) · (x = mask · id)
            TorchBertLayer.torchVersion(); // loads the engine with the reference's settings (threads, offline)
            try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                double[] values = new double[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    values[i] = mask[i] * ids[i] / 10_000.0;
                }
                NDArray x = m.create(values);
                x.setRequiresGradient(true);
                double[] grad;
                try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                    gc.backward(x.square().erf().sum());
                    grad = x.getGradient().toDoubleArray();
                }
                assertThat(x.getDataType()).isEqualTo(DataType.FLOAT64);
                for (int i = 0; i < values.length; i++) {
                    double v = values[i];
                    assertThat(grad[i]).isCloseTo(4 * v / Math.sqrt(Math.PI) * Math.exp(-v * v * v * v),
                            Offset.offset(1e-12));
                }
            }
        }
    }
}
