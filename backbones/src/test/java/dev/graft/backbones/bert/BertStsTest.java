package dev.graft.backbones.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.graft.backbones.Backbones;
import dev.graft.backbones.eval.StsBenchmark;
import dev.graft.backbones.eval.StsEvaluator;
import dev.graft.backbones.eval.StsResult;
import dev.graft.backbones.testing.ModelResources;
import dev.graft.core.backbone.Pooling;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * STS Benchmark test split through Graft (mean pooling, max 128 tokens, cosine vs gold, Spearman): the figures
 * measured with ONNX Runtime outside the project (../shared/datasets/README.md), ± 0.003.
 */
class BertStsTest {

    @ParameterizedTest
    @CsvSource({
        "all-minilm-l6-v2, '',        0.820",
        "bge-small-en-v15, '',        0.868",
        "e5-small-v2,      'query: ', 0.859",
    })
    void stsBenchmarkSpearmanMatchesTheReference(String model, String prefix, double expected) throws IOException {
        StsEvaluator evaluator = new StsEvaluator(StsBenchmark.read(ModelResources.shared("."), StsBenchmark.Split.TEST));
        try (BertBackbone bert = Backbones.builder(model).optMaxLength(128).build()) {
            StsResult r = evaluator.evaluate(texts -> bert.embed(texts.stream().map(s -> prefix + s).toList(),
                    Pooling.MEAN, false), 64);
            System.out.printf("%s STS-B test through Graft: spearman=%.4f (reference %.3f)%n", model, r.spearman(), expected);
            assertThat(r.pairs()).isEqualTo(1_379);
            assertThat(r.spearman()).isCloseTo(expected, within(0.003));
        }
    }
}
