package dev.graft.backbones.eval;

import java.util.List;

/**
 * Any sentence-embedding model, as the evaluators see it: a batch of sentences in, one vector per sentence out
 * (same order, same width). Prefixes a model expects (e5's {@code "query: "}) are the embedder's business.
 */
@FunctionalInterface
public interface SentenceEmbedder {
    float[][] embed(List<String> sentences);
}
