/**
 * The {@code classification} head type: a label per text from its pooled hidden state — linear or a small MLP,
 * over the last layer, one layer or a learned mix of all. Its config is {@link
 * dev.graft.adapters.classification.ClassificationConfig}; its output {@code HeadOutput.Classification}
 * (probabilities, top-k). Depends on {@code dev.graft.adapters.head} and {@code nn} only.
 */
package dev.graft.adapters.classification;
