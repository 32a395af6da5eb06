package dev.graft.backbones.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.backbones.testing.ModelResources;
import dev.graft.backbones.testing.OrtReference;
import dev.graft.backbones.testing.OrtSentenceEmbedder;
import dev.graft.backbones.tokenizer.BertTokenizer;
import dev.graft.backbones.tokenizer.TokenizerSettings;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The evaluator end to end on a real model: all-MiniLM-L6-v2 through ONNX Runtime, mean pooling, max 128 tokens,
 * must reproduce the STS-B test Spearman measured outside the project (0.820, datasets/README.md).
 */
class StsEvaluatorOrtTest {

    @Test
    void allMiniLmThroughOnnxRuntimeReproducesTheReferenceSpearman() throws IOException {
        StsEvaluator evaluator = new StsEvaluator(StsBenchmark.read(ModelResources.shared("."), StsBenchmark.Split.TEST));
        try (BertTokenizer tokenizer = BertTokenizer.fromJson(ModelResources.MINILM_TOKENIZER,
                ModelResources.bytes(ModelResources.MINILM_TOKENIZER),
                TokenizerSettings.forModel(ModelResources.VOCAB_SIZE, ModelResources.MAX_POSITIONS).withMaxLength(128));
             OrtReference ort = OrtReference.openResource(ModelResources.MINILM_ONNX, 2)) {
            StsResult result = evaluator.evaluate(new OrtSentenceEmbedder(tokenizer, ort, ""), 64);
            System.out.printf("all-MiniLM-L6-v2 (ONNX Runtime) STS-B test: spearman=%.5f pearson=%.5f pairs=%d sentences=%d%n",
                    result.spearman(), result.pearson(), result.pairs(), result.sentences());
            assertThat(result.pairs()).isEqualTo(1_379);
            assertThat(result.spearman()).isCloseTo(0.820, within(0.003));
        }
    }
}
