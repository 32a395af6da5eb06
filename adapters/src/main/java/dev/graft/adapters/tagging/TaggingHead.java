package dev.graft.adapters.tagging;

import dev.graft.adapters.head.BackboneInfo;
import dev.graft.adapters.head.FeatureKind;
import dev.graft.adapters.head.FeatureRows;
import dev.graft.adapters.head.Features;
import dev.graft.adapters.head.HeadNetworks;
import dev.graft.adapters.head.HeadOutput;
import dev.graft.adapters.head.NetworkHead;
import dev.graft.adapters.nn.Softmax;
import dev.graft.adapters.metrics.BioSpans;
import java.util.ArrayList;
import java.util.List;

/**
 * A token-classification head: see {@link TaggingConfig}. Returns {@link HeadOutput.Tagging}, with entity spans
 * decoded when the tag set is BIO. A word without a token of its own in what the backbone saw (past the token
 * limit of a long sentence) is reported as not tagged ({@code null} tag, {@code NaN} score).
 */
public final class TaggingHead extends NetworkHead {
    private final boolean bio;

    TaggingHead(TaggingConfig config, BackboneInfo backbone, long seed) {
        super(TokenClassification.NAME, config, backbone, new FeatureKind.WordTokens(config.layers()),
                HeadNetworks.build(backbone, config.layers(), config.hiddenSize(), config.activation(), config.dropout(),
                        "classifier", config.labels().size(), seed));
        this.bio = BioSpans.isBioTagSet(config.labels());
    }

    @Override
    public TaggingConfig config() {
        return (TaggingConfig) super.config();
    }

    /** Whether the tags are BIO entity tags (then outputs carry entity spans). */
    public boolean bio() {
        return bio;
    }

    @Override
    protected HeadOutput output(float[] logits, FeatureRows rows, Features features) {
        List<String> labels = config().labels();
        int classes = labels.size();
        List<List<String>> tags = new ArrayList<>();
        List<float[]> scores = new ArrayList<>();
        List<List<HeadOutput.Span>> spans = new ArrayList<>();
        float[] p = Softmax.probabilities(logits, rows.rows(), classes);
        for (int i = 0; i < rows.inputs(); i++) {
            int n = features.words().get(i).size();
            int covered = rows.rowsOf(i); // words past these have no row: past the token limit
            List<String> t = new ArrayList<>(n);
            float[] s = new float[n];
            for (int w = 0; w < n; w++) {
                if (w >= covered || !rows.hasToken(rows.starts()[i] + w)) { // the model never saw it: no tag, not a made-up one
                    t.add(null);
                    s[w] = Float.NaN;
                    continue;
                }
                int row = (rows.starts()[i] + w) * classes;
                int best = Softmax.argmax(p, row, classes);
                t.add(labels.get(best));
                s[w] = p[row + best];
            }
            tags.add(t);
            scores.add(s);
            spans.add(bio ? BioSpans.decode(t.stream().map(tag -> tag == null ? "O" : tag).toList()).stream()
                    .map(sp -> new HeadOutput.Span(sp.type(), sp.start(), sp.endExclusive())).toList() : List.of());
        }
        return new HeadOutput.Tagging(features.words(), tags, scores, spans);
    }
}
