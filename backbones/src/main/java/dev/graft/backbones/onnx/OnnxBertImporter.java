package dev.graft.backbones.onnx;

import dev.graft.backbones.bert.BertCheckpoint;
import dev.graft.backbones.bert.BertConfig;
import dev.graft.backbones.bert.BertLayerWeights;
import dev.graft.backbones.bert.BertWeights;
import dev.graft.backbones.bert.LayerNormWeights;
import dev.graft.backbones.bert.Linear;
import dev.graft.backbones.onnx.proto.AttributeProto;
import dev.graft.backbones.onnx.proto.NodeProto;
import dev.graft.core.io.NonFiniteWeightException;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds {@link BertWeights} and {@link BertConfig} from a BERT encoder exported to ONNX by PyTorch
 * ({@code torch.onnx.export} of a Hugging Face {@code BertModel}, as in the sentence-transformers models).
 *
 * <h2>What it expects in the graph</h2>
 * <ul>
 *   <li>Embeddings, biases and LayerNorm parameters are initializers with their Hugging Face names
 *       ({@code embeddings.word_embeddings.weight}, {@code encoder.layer.0.attention.self.query.bias},
 *       {@code encoder.layer.0.attention.output.LayerNorm.weight}, …), with or without a prefix such as
 *       {@code bert.}.</li>
 *   <li>The six weight matrices of each layer are anonymous initializers ({@code onnx::MatMul_787}) stored
 *       {@code [in, out]}; each is found as the second input of the {@code MatMul} node named
 *       {@code /encoder/layer.N/attention/self/query/MatMul}, {@code …/self/key/MatMul},
 *       {@code …/self/value/MatMul}, {@code …/attention/output/dense/MatMul},
 *       {@code …/intermediate/dense/MatMul}, {@code …/output/dense/MatMul}.</li>
 *   <li>The number of heads is read from the {@code Reshape} that splits a query/key/value projection into
 *       {@code [batch, seq, heads, head_size]} (its trailing shape constants), or else from the attention
 *       score scale {@code sqrt(head_size)}.</li>
 *   <li>The LayerNorm epsilon is read from a {@code LayerNormalization} node's {@code epsilon} attribute, or
 *       from the constant added to the variance in a decomposed LayerNorm
 *       ({@code ReduceMean → Add(eps) → Sqrt}); if neither exists it is 1e-12, the Hugging Face BERT default.</li>
 * </ul>
 * Anything else — a missing initializer or MatMul node, a wrong shape, external data, a non-float32
 * weight, an epsilon that is not a finite number up to {@link BertConfig#MAX_LAYER_NORM_EPS} — fails with an
 * {@link OnnxFormatException} that names the file and what is missing. Once the shapes fit, every weight is read
 * once to check it holds no NaN or infinity ({@link dev.graft.core.io.NonFiniteWeightException}).
 */
public final class OnnxBertImporter {

    /** Result of {@link #read}: the weights and how the two hyper-parameters not visible in shapes were found. */
    public record Imported(BertWeights weights, String numHeadsEvidence, String layerNormEpsEvidence) { }

    /** The six dense layers of a transformer layer: where the exporter names their MatMul, and their HF name. */
    private enum Role {
        QUERY("attention/self/query", "attention.self.query"),
        KEY("attention/self/key", "attention.self.key"),
        VALUE("attention/self/value", "attention.self.value"),
        ATTENTION_OUTPUT("attention/output/dense", "attention.output.dense"),
        INTERMEDIATE("intermediate/dense", "intermediate.dense"),
        OUTPUT("output/dense", "output.dense");

        final String nodePath;
        final String hfName;

        Role(String nodePath, String hfName) {
            this.nodePath = nodePath;
            this.hfName = hfName;
        }

        static Role ofNodePath(String p) {
            for (Role r : values()) {
                if (r.nodePath.equals(p)) {
                    return r;
                }
            }
            throw new IllegalArgumentException(p);
        }
    }

    private static final Pattern MATMUL = Pattern.compile(
            "^(.*)/encoder/layer\\.(\\d+)/(attention/self/query|attention/self/key|attention/self/value"
                    + "|attention/output/dense|intermediate/dense|output/dense)/MatMul$");
    private static final String WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";
    /** Hugging Face's BertConfig default, used when the graph shows no epsilon at all. */
    static final float DEFAULT_LAYER_NORM_EPS = 1e-12f;
    /** ONNX's default for the {@code epsilon} attribute of {@code LayerNormalization}. */
    private static final float ONNX_LAYER_NORMALIZATION_DEFAULT_EPS = 1e-5f;

    private OnnxBertImporter() {
    }

    /**
     * Loads a BERT checkpoint named after the file ({@code all-minilm-l6-v2.onnx} → {@code all-minilm-l6-v2}).
     * The weights are mapped into a child of {@code parent}; closing the checkpoint closes that child.
     */
    public static BertCheckpoint load(Path onnxFile, Path tokenizerFile, TensorArena parent) throws IOException {
        String file = onnxFile.getFileName().toString();
        return load(file.endsWith(".onnx") ? file.substring(0, file.length() - 5) : file, onnxFile, tokenizerFile, parent);
    }

    /**
     * Loads a BERT checkpoint: maps {@code onnxFile} read-only into a new child arena of {@code parent}, which the
     * returned checkpoint owns (closing it unmaps the weights). On failure nothing stays mapped.
     *
     * @throws NoSuchFileException  if either file is missing
     * @throws OnnxFormatException  if the .onnx is not valid or not a BERT encoder of the expected shape
     */
    public static BertCheckpoint load(String name, Path onnxFile, Path tokenizerFile, TensorArena parent) throws IOException {
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new NoSuchFileException(tokenizerFile.toString(), null, "tokenizer file not found (needed with " + onnxFile + ")");
        }
        TensorArena arena = parent.child("onnx " + name);
        try {
            return new BertCheckpoint(name, onnxFile, tokenizerFile, read(onnxFile, arena).weights(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Maps {@code onnxFile} into {@code arena} (which then owns the mapping, also if this fails) and builds the
     * weights. For callers that manage the arena themselves.
     */
    public static Imported read(Path onnxFile, TensorArena arena) throws IOException {
        return new Reader(OnnxModelFile.open(onnxFile, arena)).read();
    }

    /** One import: the file and what has been found in it so far. */
    private static final class Reader {
        private final OnnxModelFile f;
        private final Path path;
        /** Every initializer handed to the weights, by name: checked to be finite once the shapes are. */
        private final Map<String, Tensor> used = new LinkedHashMap<>();

        Reader(OnnxModelFile f) {
            this.f = f;
            this.path = f.path();
        }

        Imported read() throws IOException {
            String prefix = initializerPrefix();
            Tensor word = weight(prefix + WORD_EMBEDDINGS);
            Tensor position = weight(prefix + "embeddings.position_embeddings.weight");
            Tensor tokenType = weight(prefix + "embeddings.token_type_embeddings.weight");
            LayerNormWeights embeddingNorm = layerNorm(prefix, "embeddings.LayerNorm");
            requireRank(prefix + WORD_EMBEDDINGS, word, 2);
            requireRank(prefix + "embeddings.position_embeddings.weight", position, 2);
            requireRank(prefix + "embeddings.token_type_embeddings.weight", tokenType, 2);

            Map<Integer, Map<Role, NodeProto>> matMuls = layerMatMuls();
            int hidden = word.dim(1);
            List<BertLayerWeights> layers = new ArrayList<>();
            for (int layer = 0; layer < matMuls.size(); layer++) {
                Map<Role, NodeProto> nodes = matMuls.get(layer);
                String hf = "encoder.layer." + layer + ".";
                layers.add(new BertLayerWeights(
                        linear(prefix, layer, Role.QUERY, nodes), linear(prefix, layer, Role.KEY, nodes),
                        linear(prefix, layer, Role.VALUE, nodes), linear(prefix, layer, Role.ATTENTION_OUTPUT, nodes),
                        layerNorm(prefix, hf + "attention.output.LayerNorm"),
                        linear(prefix, layer, Role.INTERMEDIATE, nodes), linear(prefix, layer, Role.OUTPUT, nodes),
                        layerNorm(prefix, hf + "output.LayerNorm")));
            }
            int intermediate = layers.getFirst().intermediate().out();
            Evidence<Integer> heads = numHeads(matMuls.get(0), hidden);
            Evidence<Float> eps = layerNormEps();
            Imported imported;
            try {
                BertConfig config = new BertConfig(word.dim(0), hidden, layers.size(), heads.value(), intermediate,
                        position.dim(0), tokenType.dim(0), eps.value());
                imported = new Imported(new BertWeights(config, word, position, tokenType, embeddingNorm, layers),
                        heads.how(), eps.how());
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException(path, "does not hold a consistent BERT encoder: " + e.getMessage(), e);
            }
            // shapes first (from the graph alone), then one pass over the bytes of every weight the encoder uses
            for (Map.Entry<String, Tensor> e : used.entrySet()) {
                NonFiniteWeightException.requireFinite(path, e.getKey(), e.getValue());
            }
            return imported;
        }

        /** An f32 initializer the encoder uses, remembered for the finiteness check. */
        private Tensor weight(String name) throws OnnxFormatException {
            Tensor t = f.floatTensor(name);
            used.put(name, t);
            return t;
        }

        /** "" or "bert." etc.: what stands before {@code embeddings.word_embeddings.weight}. */
        private String initializerPrefix() throws OnnxFormatException {
            for (String name : f.initializerNames()) {
                if (name.equals(WORD_EMBEDDINGS)) {
                    return "";
                }
            }
            for (String name : f.initializerNames()) {
                if (name.endsWith("." + WORD_EMBEDDINGS)) {
                    return name.substring(0, name.length() - WORD_EMBEDDINGS.length());
                }
            }
            throw new OnnxFormatException(path, "has no initializer named '" + WORD_EMBEDDINGS + "' (with or without a prefix such as 'bert.'): "
                    + "not a BERT encoder exported from Hugging Face transformers (" + f.initializerNames().size() + " initializers)");
        }

        /** MatMul nodes by layer and role; every layer 0..L-1 must have all six. */
        private Map<Integer, Map<Role, NodeProto>> layerMatMuls() throws OnnxFormatException {
            Map<Integer, Map<Role, NodeProto>> byLayer = new TreeMap<>();
            String nodePrefix = null;
            for (NodeProto n : f.graph().getNodeList()) {
                if (!n.getOpType().equals("MatMul")) {
                    continue;
                }
                Matcher m = MATMUL.matcher(n.getName());
                if (!m.matches()) {
                    continue;
                }
                if (nodePrefix == null) {
                    nodePrefix = m.group(1);
                } else if (!nodePrefix.equals(m.group(1))) {
                    continue; // a second encoder under another scope is not ours
                }
                int layer;
                try {
                    layer = Integer.parseInt(m.group(2));
                } catch (NumberFormatException e) {
                    throw new OnnxFormatException(path, "node '" + n.getName() + "' has a layer number out of range");
                }
                Map<Role, NodeProto> roles = byLayer.computeIfAbsent(layer, k -> new EnumMap<>(Role.class));
                if (roles.put(Role.ofNodePath(m.group(3)), n) != null) {
                    throw new OnnxFormatException(path, "has two MatMul nodes named '" + n.getName() + "'");
                }
            }
            if (byLayer.isEmpty()) {
                throw new OnnxFormatException(path, "has no MatMul node named like '/encoder/layer.0/attention/self/query/MatMul': "
                        + "not a BERT encoder exported by torch.onnx from Hugging Face transformers");
            }
            int layers = byLayer.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;
            for (int layer = 0; layer < layers; layer++) {
                Map<Role, NodeProto> roles = byLayer.getOrDefault(layer, Map.of());
                for (Role r : Role.values()) {
                    if (!roles.containsKey(r)) {
                        throw new OnnxFormatException(path, "has no MatMul node '" + nodePrefix + "/encoder/layer." + layer + "/" + r.nodePath
                                + "/MatMul' (found MatMul nodes for layers " + byLayer.keySet() + ")");
                    }
                }
            }
            return byLayer;
        }

        private Linear linear(String prefix, int layer, Role role, Map<Role, NodeProto> nodes) throws OnnxFormatException {
            NodeProto matMul = nodes.get(role);
            String hf = "encoder.layer." + layer + "." + role.hfName;
            if (matMul.getInputCount() != 2 || !f.hasInitializer(matMul.getInput(1))) {
                throw new OnnxFormatException(path, "MatMul node '" + matMul.getName() + "' does not read its weight (" + hf
                        + ".weight) from an initializer: its inputs are " + matMul.getInputList());
            }
            String weightName = matMul.getInput(1);
            Tensor weight = weight(weightName);
            if (weight.rank() != 2) {
                throw new OnnxFormatException(path, "initializer '" + weightName + "' (" + hf + ".weight, read by '" + matMul.getName()
                        + "') is " + weight.describe() + ", not a matrix");
            }
            Tensor bias = weight(biasName(prefix, hf, matMul));
            try {
                return new Linear(hf, weight, false, bias);
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException(path, e.getMessage() + " (weight is initializer '" + weightName + "' read by '" + matMul.getName() + "')", e);
            }
        }

        /** {@code <prefix><hf>.bias}; failing that, the rank-1 initializer added to the MatMul's output. */
        private String biasName(String prefix, String hf, NodeProto matMul) throws OnnxFormatException {
            String named = prefix + hf + ".bias";
            if (f.hasInitializer(named)) {
                return named;
            }
            for (NodeProto add : f.consumers(matMul.getOutput(0))) {
                if (add.getOpType().equals("Add")) {
                    for (String in : add.getInputList()) {
                        if (f.hasInitializer(in) && f.initializerInfo(in).orElseThrow().getDimsCount() == 1) {
                            return in;
                        }
                    }
                }
            }
            throw new OnnxFormatException(path, "has no initializer named '" + named + "', and no bias is added to the output of '"
                    + matMul.getName() + "'");
        }

        private LayerNormWeights layerNorm(String prefix, String hf) throws OnnxFormatException {
            Tensor gamma = weight(prefix + hf + ".weight");
            Tensor beta = weight(prefix + hf + ".bias");
            try {
                return new LayerNormWeights(hf, gamma, beta);
            } catch (IllegalArgumentException e) {
                throw new OnnxFormatException(path, e.getMessage(), e);
            }
        }

        private void requireRank(String name, Tensor t, int rank) throws OnnxFormatException {
            if (t.rank() != rank) {
                throw new OnnxFormatException(path, "initializer '" + name + "' is " + t.describe() + ", expected rank " + rank);
            }
        }

        /** Heads from the Reshape that splits Q/K/V into heads, else from the score scale sqrt(head_size). */
        private Evidence<Integer> numHeads(Map<Role, NodeProto> layer0, int hidden) throws OnnxFormatException {
            for (Role r : List.of(Role.QUERY, Role.KEY, Role.VALUE)) {
                String projected = layer0.get(r).getOutput(0);
                List<NodeProto> candidates = new ArrayList<>(f.consumers(projected));
                for (NodeProto add : f.consumers(projected)) {
                    if (add.getOpType().equals("Add")) {
                        candidates.addAll(f.consumers(add.getOutput(0)));
                    }
                }
                for (NodeProto reshape : candidates) {
                    if (!reshape.getOpType().equals("Reshape") || reshape.getInputCount() < 2) {
                        continue;
                    }
                    long[] tail = trailingConstants(reshape.getInput(1));
                    if (tail.length >= 2) {
                        long heads = tail[tail.length - 2];
                        long size = tail[tail.length - 1];
                        if (heads > 0 && size > 0 && heads * size == hidden) {
                            return new Evidence<>((int) heads, "Reshape node '" + reshape.getName() + "' splits hidden " + hidden
                                    + " into " + heads + " heads of " + size);
                        }
                    }
                }
            }
            String scope = layer0.get(Role.QUERY).getName();
            scope = scope.substring(0, scope.length() - "query/MatMul".length());
            for (NodeProto n : f.graph().getNodeList()) {
                boolean div = n.getOpType().equals("Div");
                if (!(div || n.getOpType().equals("Mul")) || !n.getName().startsWith(scope) || n.getInputCount() != 2) {
                    continue;
                }
                Optional<float[]> c = f.floatConstant(n.getInput(1));
                if (c.isEmpty() || c.get().length != 1 || !(c.get()[0] > 0)) {
                    continue;
                }
                double scale = c.get()[0];
                double headSize = div ? scale * scale : 1 / (scale * scale);
                long rounded = Math.round(headSize);
                if (rounded > 0 && Math.abs(headSize - rounded) < 1e-3 * rounded && hidden % rounded == 0) {
                    return new Evidence<>((int) (hidden / rounded), "attention score scale in node '" + n.getName() + "' is "
                            + (div ? "1/" : "") + scale + " = 1/sqrt(" + rounded + ")");
                }
            }
            throw new OnnxFormatException(path, "cannot tell the number of attention heads: no Reshape with constant [heads, head_size] "
                    + "after '" + layer0.get(Role.QUERY).getName() + "' and no constant score scale 1/sqrt(head_size) in '" + scope + "'");
        }

        /** The constant values at the end of a shape value (all of it if constant; the constant tail of a Concat). */
        private long[] trailingConstants(String shape) throws OnnxFormatException {
            Optional<long[]> whole = f.int64Constant(shape);
            if (whole.isPresent()) {
                return whole.get();
            }
            Optional<NodeProto> concat = f.producer(shape).filter(p -> p.getOpType().equals("Concat"));
            if (concat.isEmpty()) {
                return new long[0];
            }
            List<long[]> parts = new ArrayList<>();
            List<String> inputs = concat.get().getInputList();
            for (int i = inputs.size() - 1; i >= 0; i--) {
                Optional<long[]> part = f.int64Constant(inputs.get(i));
                if (part.isEmpty()) {
                    break;
                }
                parts.addFirst(part.get());
            }
            return parts.stream().flatMapToLong(java.util.Arrays::stream).toArray();
        }

        /** From LayerNormalization nodes, else from decomposed LayerNorms (ReduceMean → Add(eps) → Sqrt). */
        private Evidence<Float> layerNormEps() throws OnnxFormatException {
            TreeSet<Float> found = new TreeSet<>();
            int count = 0;
            for (NodeProto n : f.graph().getNodeList()) {
                if (n.getOpType().endsWith("LayerNormalization")) {
                    float eps = ONNX_LAYER_NORMALIZATION_DEFAULT_EPS;
                    for (AttributeProto a : n.getAttributeList()) {
                        if (a.getName().equals("epsilon")) {
                            eps = a.getF();
                        }
                    }
                    found.add(eps);
                    count++;
                }
            }
            if (count > 0) {
                return single(found, count + " " + "LayerNormalization nodes' epsilon attribute");
            }
            for (NodeProto sqrt : f.graph().getNodeList()) {
                if (!sqrt.getOpType().equals("Sqrt") || sqrt.getInputCount() != 1) {
                    continue;
                }
                Optional<NodeProto> add = f.producer(sqrt.getInput(0)).filter(p -> p.getOpType().equals("Add") && p.getInputCount() == 2);
                if (add.isEmpty()) {
                    continue;
                }
                for (int i = 0; i < 2; i++) {
                    Optional<float[]> c = f.floatConstant(add.get().getInput(i));
                    boolean fromVariance = f.producer(add.get().getInput(1 - i)).map(p -> p.getOpType().equals("ReduceMean")).orElse(false);
                    if (c.isPresent() && c.get().length == 1 && fromVariance) {
                        found.add(c.get()[0]);
                        count++;
                    }
                }
            }
            if (count > 0) {
                return single(found, count + " decomposed LayerNorms' constant added to the variance (ReduceMean → Add → Sqrt)");
            }
            return new Evidence<>(DEFAULT_LAYER_NORM_EPS, "no LayerNormalization node and no decomposed LayerNorm found: "
                    + "the Hugging Face default " + DEFAULT_LAYER_NORM_EPS);
        }

        private Evidence<Float> single(TreeSet<Float> values, String where) throws OnnxFormatException {
            if (values.size() != 1) {
                throw new OnnxFormatException(path, "LayerNorm epsilons " + values + " from " + where
                        + "; Graft needs one epsilon for every LayerNorm");
            }
            float eps = values.first();
            if (!(eps >= Float.MIN_NORMAL && eps <= BertConfig.MAX_LAYER_NORM_EPS)) { // also NaN and ±Inf
                throw new OnnxFormatException(path, "LayerNorm epsilon " + eps + " from " + where + " is not a finite"
                        + " number in [" + Float.MIN_NORMAL + ", " + BertConfig.MAX_LAYER_NORM_EPS + "] (BERT models use"
                        + " 1e-12 to 1e-5)");
            }
            return new Evidence<>(values.first(), values.first() + " from " + where);
        }
    }

    private record Evidence<T>(T value, String how) { }
}
