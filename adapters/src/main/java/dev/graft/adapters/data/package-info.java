/**
 * Readers for the data sets Graft's head training CLI consumes — labelled text in CSV ({@link
 * dev.graft.adapters.data.CsvDataset}), unlabelled text one per line ({@link dev.graft.adapters.data.TextLines}),
 * tagged sentences in CoNLL-U ({@link dev.graft.adapters.data.ConlluDataset}) — and {@link
 * dev.graft.adapters.data.LabelSet}, the stable label ↔ index mapping a head is trained with.
 *
 * <p>Every reader is strict: a malformed row fails with a {@link dev.graft.backbones.eval.DatasetFormatException}
 * naming the file and the 1-based line, rather than being skipped or misread, and every example remembers the
 * {@link dev.graft.adapters.data.SourceLine} it came from so later errors (an unknown label) can point at it.
 *
 * <p>Depends only on the JDK and {@code dev.graft.backbones.eval.DatasetFormatException}; nothing here touches
 * tensors, models or the metrics package.
 */
package dev.graft.adapters.data;
