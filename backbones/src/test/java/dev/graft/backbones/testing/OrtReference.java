package dev.graft.backbones.testing;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.graft.core.backbone.TokenBatch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs a BERT-family ONNX model (the embedded models' {@code .onnx}) in ONNX Runtime: the reference Graft's own
 * encoder is checked against, and the baseline the JMH comparison times.
 *
 * <p>Inputs are {@code input_ids}, {@code attention_mask} and (if the model declares it) {@code token_type_ids},
 * all int64 {@code [batch, tokens]}; the output is {@code last_hidden_state}, f32 {@code [batch, tokens, hidden]}.
 * Both are checked against the model's declared inputs and outputs on open.
 *
 * <p>For timing, build the inputs once with {@link #prepare(TokenBatch)} and time {@link #run(Inputs)} alone.
 * A session may be run from several threads; close it once, after the last run.
 *
 * <p>Self-contained (ONNX Runtime and Graft's {@link TokenBatch} only), so the JMH module can take a copy of this
 * file as its baseline runner.
 */
public final class OrtReference implements AutoCloseable {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String TOKEN_TYPE_IDS = "token_type_ids";
    public static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private final String source;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final boolean takesTokenTypes;
    private final int hiddenSize;

    private OrtReference(String source, OrtEnvironment env, OrtSession.SessionOptions options, OrtSession session)
            throws OrtException {
        this.source = source;
        this.env = env;
        this.options = options;
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        for (String required : new String[] {INPUT_IDS, ATTENTION_MASK}) {
            requireInt64(inputs, required);
        }
        this.takesTokenTypes = inputs.containsKey(TOKEN_TYPE_IDS);
        if (takesTokenTypes) {
            requireInt64(inputs, TOKEN_TYPE_IDS);
        }
        NodeInfo out = session.getOutputInfo().get(LAST_HIDDEN_STATE);
        if (out == null || !(out.getInfo() instanceof TensorInfo t) || t.getShape().length != 3) {
            throw new IllegalArgumentException(source + ": no 3-d output '" + LAST_HIDDEN_STATE + "' (outputs: "
                    + session.getOutputInfo().keySet() + ")");
        }
        this.hiddenSize = (int) t.getShape()[2];
    }

    /** Opens a model from a classpath resource (e.g. {@code /all-minilm-l6-v2.onnx}) without a temporary file. */
    public static OrtReference openResource(String resource, int intraOpThreads) {
        try (InputStream in = OrtReference.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("ONNX model resource " + resource + " is not on the classpath");
            }
            return fromBytes(resource, in.readAllBytes(), intraOpThreads);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read ONNX model resource " + resource + ": " + e.getMessage(), e);
        }
    }

    /** Opens a model file. */
    public static OrtReference open(Path onnx, int intraOpThreads) {
        try {
            return fromBytes(onnx.toString(), Files.readAllBytes(onnx), intraOpThreads);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read ONNX model " + onnx + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a model from its bytes.
     *
     * @param intraOpThreads threads ONNX Runtime uses inside one operator (matrix multiplies); one inter-op thread,
     *                       sequential execution, all graph optimisations
     */
    public static OrtReference fromBytes(String source, byte[] model, int intraOpThreads) {
        Objects.requireNonNull(model, "model");
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment(); // process-wide singleton, never closed here
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(model, options);
            return new OrtReference(source, env, options, session);
        } catch (OrtException | RuntimeException e) {
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            options.close();
            throw new IllegalArgumentException("cannot open ONNX model " + source + ": " + e.getMessage(), e);
        }
    }

    private void requireInt64(Map<String, NodeInfo> inputs, String name) {
        NodeInfo node = inputs.get(name);
        if (node == null || !(node.getInfo() instanceof TensorInfo t) || t.type != ai.onnxruntime.OnnxJavaType.INT64) {
            throw new IllegalArgumentException(source + ": expected an int64 input '" + name + "', inputs are " + inputs);
        }
    }

    public String source() {
        return source;
    }

    /** Width of {@code last_hidden_state}. */
    public int hiddenSize() {
        return hiddenSize;
    }

    public Set<String> inputNames() throws OrtException {
        return session.getInputNames();
    }

    /** {@code batch}'s three tensors as ONNX Runtime int64 inputs; close them after the last {@link #run}. */
    public Inputs prepare(TokenBatch batch) {
        long[] shape = {batch.batchSize(), batch.tokens()};
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            tensors.put(INPUT_IDS, int64(batch.inputIds().toIntArray(), shape));
            tensors.put(ATTENTION_MASK, int64(batch.attentionMask().toIntArray(), shape));
            if (takesTokenTypes) {
                tensors.put(TOKEN_TYPE_IDS, int64(batch.tokenTypeIds().toIntArray(), shape));
            }
        } catch (OrtException e) {
            tensors.values().forEach(OnnxTensor::close);
            throw new IllegalStateException("cannot build ONNX inputs: " + e.getMessage(), e);
        }
        return new Inputs(tensors, batch.batchSize(), batch.tokens());
    }

    private OnnxTensor int64(int[] values, long[] shape) throws OrtException {
        long[] wide = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            wide[i] = values[i];
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(wide), shape);
    }

    /** Runs the model; returns {@code last_hidden_state} flat, row-major {@code [batch, tokens, hidden]}. */
    public float[] run(Inputs inputs) {
        try (OrtSession.Result result = session.run(inputs.tensors, Set.of(LAST_HIDDEN_STATE))) {
            OnnxValue value = result.get(LAST_HIDDEN_STATE).orElseThrow();
            FloatBuffer buffer = ((OnnxTensor) value).getFloatBuffer();
            float[] out = new float[buffer.remaining()];
            buffer.get(out);
            long expected = (long) inputs.batch * inputs.tokens * hiddenSize;
            if (out.length != expected) {
                throw new IllegalStateException(source + " returned " + out.length + " floats, expected " + expected);
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(source + ": ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    /** Runs {@code batch} and returns {@code last_hidden_state} as {@code [batch][tokens][hidden]}. */
    public float[][][] lastHiddenState(TokenBatch batch) {
        float[] flat;
        try (Inputs inputs = prepare(batch)) {
            flat = run(inputs);
        }
        float[][][] out = new float[batch.batchSize()][batch.tokens()][hiddenSize];
        int k = 0;
        for (float[][] sequence : out) {
            for (float[] token : sequence) {
                System.arraycopy(flat, k, token, 0, hiddenSize);
                k += hiddenSize;
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close ONNX session " + source, e);
        } finally {
            options.close();
        }
    }

    /** Model inputs built once by {@link #prepare}, run any number of times. */
    public static final class Inputs implements AutoCloseable {
        private final Map<String, OnnxTensor> tensors;
        private final int batch;
        private final int tokens;

        private Inputs(Map<String, OnnxTensor> tensors, int batch, int tokens) {
            this.tensors = tensors;
            this.batch = batch;
            this.tokens = tokens;
        }

        @Override
        public void close() {
            tensors.values().forEach(OnnxTensor::close);
        }
    }
}
