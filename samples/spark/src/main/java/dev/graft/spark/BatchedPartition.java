package dev.graft.spark;

import dev.graft.core.tensor.NonFiniteOutputException;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Runs a model over one partition in token-budget batches, never row by row: rows are read in chunks of
 * {@link #CHUNK_ROWS}; within a chunk the non-null texts are cut into batches by {@link TokenBudgetBatches} (sorted by
 * length, rows × estimated tokens of the longest within the budget), so short texts travel in large batches and long
 * ones in small batches with little padding. Results come back in the input order, each input row followed by
 * its result columns; a {@code null} text gets {@code null} results without reaching the model.
 *
 * <p>A batch that fails is run again one row at a time to find the row that fails (only on that failure path); the
 * task then fails with a {@link BadRowException} naming the partition, the row's index in it and a snippet of the
 * text.
 *
 * @param <R> what the model returns for one batch
 */
abstract class BatchedPartition<R> implements MapPartitionsFunction<Row, Row>, Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    /** Rows read (and sorted by length) at a time. */
    static final int CHUNK_ROWS = 1024;

    private final int textIndex;
    private final int batchTokens;
    private final int maxBatchRows;
    private final int maxLength;
    private final int outputs;
    private final GraftModels.BackboneKey backbone;

    /**
     * @param textIndex    the text column's position in the input rows
     * @param batchTokens  the token budget of a batch (rows × padded length)
     * @param maxBatchRows at most this many texts in a batch, however short they are
     * @param maxLength    the backbone's token limit (an estimate never exceeds it)
     * @param outputs      how many result columns follow each input row
     * @param backbone     the backbone the batches run on (with several threads, one batch at a time in this JVM)
     */
    BatchedPartition(int textIndex, int batchTokens, int maxBatchRows, int maxLength, int outputs,
                     GraftModels.BackboneKey backbone) {
        this.textIndex = textIndex;
        this.batchTokens = batchTokens;
        this.maxBatchRows = maxBatchRows;
        this.maxLength = maxLength;
        this.outputs = outputs;
        this.backbone = backbone;
    }

    /** Runs the model on one batch (executor side; the model comes from {@link GraftModels}). */
    abstract R run(List<String> texts);

    /** Result column values of text {@code i} of a batch's result, {@link #outputs} of them. */
    abstract Object[] columns(R result, int i);

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        int partition = TaskContext.get() != null ? TaskContext.getPartitionId() : 0;
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>();
            private int next;
            private long rowsRead;

            @Override
            public boolean hasNext() {
                if (next < out.size()) {
                    return true;
                }
                out.clear();
                next = 0;
                if (!input.hasNext()) {
                    return false;
                }
                List<Row> chunk = new ArrayList<>(CHUNK_ROWS);
                while (chunk.size() < CHUNK_ROWS && input.hasNext()) {
                    chunk.add(input.next());
                }
                out.addAll(process(chunk, partition, rowsRead));
                rowsRead += chunk.size();
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out.get(next++);
            }
        };
    }

    /** The chunk's rows with their results; {@code first} is the index of its first row in the partition. */
    List<Row> process(List<Row> chunk, int partition, long first) {
        Object[][] results = new Object[chunk.size()][];
        List<String> texts = new ArrayList<>(chunk.size());
        for (int i = 0; i < chunk.size(); i++) {
            Row r = chunk.get(i);
            texts.add(r.isNullAt(textIndex) ? null : r.getString(textIndex));
            if (texts.get(i) == null) {
                results[i] = new Object[outputs];
            }
        }
        for (int[] batch : TokenBudgetBatches.plan(texts, batchTokens, maxBatchRows, maxLength)) {
            List<String> in = new ArrayList<>(batch.length);
            for (int i : batch) {
                in.add(texts.get(i));
            }
            R result = runOrName(in, batch, partition, first);
            for (int k = 0; k < batch.length; k++) {
                results[batch[k]] = columns(result, k);
            }
        }
        List<Row> rows = new ArrayList<>(chunk.size());
        for (int i = 0; i < chunk.size(); i++) {
            Row r = chunk.get(i);
            Object[] v = new Object[r.length() + outputs];
            for (int c = 0; c < r.length(); c++) {
                v[c] = r.get(c);
            }
            System.arraycopy(results[i], 0, v, r.length(), outputs);
            rows.add(RowFactory.create(v));
        }
        return rows;
    }

    /** {@link #run}, through the backbone's gate when it has several threads ({@link GraftModels#gate}). */
    private R runGated(List<String> in) {
        if (backbone.threads() <= 1) {
            return run(in);
        }
        java.util.concurrent.locks.ReentrantLock gate = GraftModels.gate(backbone);
        gate.lock();
        try {
            return run(in);
        } finally {
            gate.unlock();
        }
    }

    private R runOrName(List<String> in, int[] batch, int partition, long first) {
        try {
            return runGated(in);
        } catch (NonFiniteOutputException e) {
            int k = e.input() >= 0 && e.input() < batch.length ? e.input() : findFailing(in);
            throw new BadRowException(partition, first + batch[Math.max(k, 0)], in.get(Math.max(k, 0)), e);
        } catch (RuntimeException e) {
            int k = findFailing(in);
            if (k < 0) { // fails as a batch only: name the batch's first row
                k = 0;
            }
            throw new BadRowException(partition, first + batch[k], in.get(k), e);
        }
    }

    /** The first text that fails on its own, or -1. */
    private int findFailing(List<String> in) {
        for (int k = 0; k < in.size(); k++) {
            try {
                runGated(List.of(in.get(k)));
            } catch (RuntimeException e) {
                return k;
            }
        }
        return -1;
    }
}
