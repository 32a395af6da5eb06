package dev.graft.jmh;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.core.backbone.TokenBatch;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX Runtime baseline of the backbone benchmark: one session over a BERT-family {@code .onnx} file (the
 * same file Graft's embedded checkpoint was imported from), configured like a tuned CPU deployment — intra-op
 * threads as given, one inter-op thread, sequential execution, all graph optimisations.
 *
 * <p>Inputs (int64 {@code input_ids}, {@code attention_mask}, {@code token_type_ids} if declared) are built once
 * by {@link #prepare}; {@link #run} then times the model alone and leaves {@code last_hidden_state} in native
 * memory (no copy to the heap), in a result the caller closes.
 */
final class OrtEncoder implements AutoCloseable {
    static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    private final OrtSession session;
    private final Set<String> outputs = Set.of(LAST_HIDDEN_STATE);

    OrtEncoder(Path onnx, int intraOpThreads) throws OrtException {
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(onnx.toString(), options);
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
        if (!session.getOutputNames().contains(LAST_HIDDEN_STATE)) {
            close();
            throw new IllegalArgumentException(onnx + ": no output '" + LAST_HIDDEN_STATE + "' (outputs: "
                    + session.getOutputNames() + ")");
        }
    }

    /** The batch's tensors as int64 ONNX inputs, keyed by input name; close each after the last run. */
    Map<String, OnnxTensor> prepare(TokenBatch batch) throws OrtException {
        long[] shape = {batch.batchSize(), batch.tokens()};
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            inputs.put("input_ids", int64(batch.inputIds().toIntArray(), shape));
            inputs.put("attention_mask", int64(batch.attentionMask().toIntArray(), shape));
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", int64(batch.tokenTypeIds().toIntArray(), shape));
            }
        } catch (OrtException | RuntimeException e) {
            inputs.values().forEach(OnnxTensor::close);
            throw e;
        }
        return inputs;
    }

    private OnnxTensor int64(int[] values, long[] shape) throws OrtException {
        long[] wide = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(wide), shape);
    }

    /** Runs the model; the result holds {@code last_hidden_state} and must be closed by the caller. */
    OrtSession.Result run(Map<String, OnnxTensor> inputs) throws OrtException {
        return session.run(inputs, outputs);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the ONNX Runtime session", e);
        } finally {
            options.close();
        }
    }
}
