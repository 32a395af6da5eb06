/**
 * Evaluation metrics for heads: {@link dev.graft.adapters.metrics.ClassificationMetrics} (accuracy, macro-F1 with
 * scikit-learn's conventions, per-class precision/recall/F1, the confusion matrix) for text classification, and
 * {@link dev.graft.adapters.metrics.TaggingMetrics} (token accuracy, and seqeval-style entity precision/recall/F1
 * over {@link dev.graft.adapters.metrics.BioSpans BIO spans} when the tags are BIO) for token tagging.
 *
 * <p>Plain Java over class indices and tag strings; depends on nothing but the JDK (not even the data package),
 * so any producer of predictions can be scored.
 */
package dev.graft.adapters.metrics;
