package dev.graft.adapters;

import dev.graft.adapters.classification.SequenceClassification;
import dev.graft.adapters.embedding.SentenceEmbedding;
import dev.graft.adapters.head.HeadRegistry;
import dev.graft.adapters.head.HeadType;
import dev.graft.adapters.regression.Regression;
import dev.graft.adapters.tagging.TokenClassification;
import java.util.List;

/** Graft's own head types, one package each. A new built-in type is one new package plus one line here. */
public final class HeadTypes {
    private HeadTypes() {
    }

    /** classification, tagging, embedding, regression. */
    public static List<HeadType<?>> builtIn() {
        return List.of(new SequenceClassification(), new TokenClassification(), new SentenceEmbedding(), new Regression());
    }

    /** A registry of the built-in types. */
    public static HeadRegistry registry() {
        return HeadRegistry.of(builtIn());
    }
}
