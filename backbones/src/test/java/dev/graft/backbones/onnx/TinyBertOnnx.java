package dev.graft.backbones.onnx;

import com.google.protobuf.ByteString;
import dev.graft.backbones.onnx.proto.AttributeProto;
import dev.graft.backbones.onnx.proto.GraphProto;
import dev.graft.backbones.onnx.proto.ModelProto;
import dev.graft.backbones.onnx.proto.NodeProto;
import dev.graft.backbones.onnx.proto.OperatorSetIdProto;
import dev.graft.backbones.onnx.proto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Writes a small BERT encoder graph in the shape torch.onnx gives the real models (named biases, LayerNorms and
 * embeddings; anonymous {@code onnx::MatMul_N} weights found through named MatMul nodes; Reshape to heads;
 * decomposed LayerNorms), with the generated protobuf classes. Every weight value is random and kept in
 * {@link #values()} so tests can compare what the importer reads with what was written.
 */
final class TinyBertOnnx {
    static final int VOCAB = 11;
    static final int HIDDEN = 8;
    static final int LAYERS = 2;
    static final int HEADS = 2;
    static final int INTERMEDIATE = 16;
    static final int POSITIONS = 7;
    static final int TYPES = 2;
    static final float EPS = 1e-5f;

    static final String[] ROLES = {"attention/self/query", "attention/self/key", "attention/self/value",
            "attention/output/dense", "intermediate/dense", "output/dense"};

    private final boolean floatData;
    private final String prefix;
    private final boolean layerNormNodes;
    private final boolean reshapeHeads;
    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final SplittableRandom random = new SplittableRandom(42);
    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("tiny_bert");
    private int anonymous = 100;

    /**
     * @param floatData      store weights in float_data instead of raw_data
     * @param prefix         initializer name prefix ("" or "bert.")
     * @param layerNormNodes LayerNormalization nodes with an epsilon attribute instead of decomposed LayerNorms
     * @param reshapeHeads   include the Reshape to [batch, seq, heads, head_size] (else only the score scale tells)
     */
    TinyBertOnnx(boolean floatData, String prefix, boolean layerNormNodes, boolean reshapeHeads) {
        this.floatData = floatData;
        this.prefix = prefix;
        this.layerNormNodes = layerNormNodes;
        this.reshapeHeads = reshapeHeads;
    }

    static TinyBertOnnx standard() {
        return new TinyBertOnnx(false, "", false, true);
    }

    /** The values written to each initializer, by name. */
    Map<String, float[]> values() {
        return values;
    }

    ModelProto build() {
        graph.addInput(dev.graft.backbones.onnx.proto.ValueInfoProto.newBuilder().setName("input_ids"));
        String x = "/embeddings/Add_1_output_0";
        weight(prefix + "embeddings.word_embeddings.weight", VOCAB, HIDDEN);
        weight(prefix + "embeddings.position_embeddings.weight", POSITIONS, HIDDEN);
        weight(prefix + "embeddings.token_type_embeddings.weight", TYPES, HIDDEN);
        x = layerNorm("/embeddings/LayerNorm", prefix + "embeddings.LayerNorm", x);
        for (int layer = 0; layer < LAYERS; layer++) {
            String scope = "/encoder/layer." + layer + "/";
            String hf = prefix + "encoder.layer." + layer + ".";
            String q = dense(scope + ROLES[0], hf + "attention.self.query", x, HIDDEN, HIDDEN);
            String k = dense(scope + ROLES[1], hf + "attention.self.key", x, HIDDEN, HIDDEN);
            String v = dense(scope + ROLES[2], hf + "attention.self.value", x, HIDDEN, HIDDEN);
            if (reshapeHeads) {
                q = splitHeads(scope + "attention/self/Reshape_2", q);
                k = splitHeads(scope + "attention/self/Reshape", k);
                v = splitHeads(scope + "attention/self/Reshape_1", v);
            }
            String scores = node("MatMul", scope + "attention/self/MatMul", List.of(q, k));
            String scale = constantFloat(scope + "attention/self/Constant_12", (float) Math.sqrt(HIDDEN / HEADS));
            String scaled = node("Div", scope + "attention/self/Div", List.of(scores, scale));
            String context = node("MatMul", scope + "attention/self/MatMul_1", List.of(node("Softmax", scope + "attention/self/Softmax", List.of(scaled)), v));
            String attn = dense(scope + ROLES[3], hf + "attention.output.dense", context, HIDDEN, HIDDEN);
            String res1 = node("Add", scope + "attention/output/Add", List.of(attn, x));
            String h1 = layerNorm(scope + "attention/output/LayerNorm", hf + "attention.output.LayerNorm", res1);
            String inter = dense(scope + ROLES[4], hf + "intermediate.dense", h1, HIDDEN, INTERMEDIATE);
            String act = node("Erf", scope + "intermediate/intermediate_act_fn/Erf", List.of(inter));
            String out = dense(scope + ROLES[5], hf + "output.dense", act, INTERMEDIATE, HIDDEN);
            String res2 = node("Add", scope + "output/Add", List.of(out, h1));
            x = layerNorm(scope + "output/LayerNorm", hf + "output.LayerNorm", res2);
        }
        graph.addOutput(dev.graft.backbones.onnx.proto.ValueInfoProto.newBuilder().setName(x));
        return ModelProto.newBuilder().setIrVersion(6).setProducerName("graft-test").setProducerVersion("1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(11))
                .setGraph(graph).build();
    }

    static Path write(ModelProto model, Path file) throws IOException {
        Files.write(file, model.toByteArray());
        return file;
    }

    /** MatMul with an anonymous [in, out] weight, then Add of the named bias, as torch.onnx exports nn.Linear. */
    private String dense(String scope, String hfName, String x, int in, int out) {
        String w = "onnx::MatMul_" + anonymous++;
        weight(w, in, out);
        weight(hfName + ".bias", out);
        String mm = node("MatMul", scope + "/MatMul", List.of(x, w));
        return node("Add", scope + "/Add", List.of(hfName + ".bias", mm));
    }

    private String splitHeads(String name, String x) {
        String dim = node("Shape", name + "_shape", List.of(x));
        String heads = constantInt64(name + "_heads", HEADS);
        String size = constantInt64(name + "_size", HIDDEN / HEADS);
        String shape = node("Concat", name + "_concat", List.of(dim, dim, heads, size));
        return node("Reshape", name, List.of(x, shape));
    }

    private String layerNorm(String scope, String hfName, String x) {
        weight(hfName + ".weight", HIDDEN);
        weight(hfName + ".bias", HIDDEN);
        if (layerNormNodes) {
            NodeProto.Builder n = NodeProto.newBuilder().setOpType("LayerNormalization").setName(scope)
                    .addInput(x).addInput(hfName + ".weight").addInput(hfName + ".bias").addOutput(scope + "_output_0")
                    .addAttribute(AttributeProto.newBuilder().setName("epsilon").setType(AttributeProto.AttributeType.FLOAT).setF(EPS))
                    .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(-1));
            graph.addNode(n);
            return scope + "_output_0";
        }
        String mean = node("ReduceMean", scope + "/ReduceMean", List.of(x));
        String centred = node("Sub", scope + "/Sub", List.of(x, mean));
        String sq = node("Pow", scope + "/Pow", List.of(centred, constantFloat(scope + "/Constant", 2f)));
        String variance = node("ReduceMean", scope + "/ReduceMean_1", List.of(sq));
        String plusEps = node("Add", scope + "/Add", List.of(variance, constantFloat(scope + "/Constant_1", EPS)));
        String std = node("Sqrt", scope + "/Sqrt", List.of(plusEps));
        String norm = node("Div", scope + "/Div", List.of(centred, std));
        String scaled = node("Mul", scope + "/Mul", List.of(norm, hfName + ".weight"));
        return node("Add", scope + "/Add_1", List.of(scaled, hfName + ".bias"));
    }

    private String node(String op, String name, List<String> inputs) {
        String out = name + "_output_0";
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(out));
        return out;
    }

    private String constantFloat(String name, float v) {
        TensorProto t = TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, v))).build();
        return constant(name, t);
    }

    private String constantInt64(String name, long v) {
        TensorProto t = TensorProto.newBuilder().setDataType(TensorProto.DataType.INT64_VALUE).addDims(1)
                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v))).build();
        return constant(name, t);
    }

    private String constant(String name, TensorProto value) {
        String out = name + "_output_0";
        graph.addNode(NodeProto.newBuilder().setOpType("Constant").setName(name).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(value)));
        return out;
    }

    private void weight(String name, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        values.put(name, v);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (long d : dims) {
            t.addDims(d);
        }
        if (floatData) {
            for (float f : v) {
                t.addFloatData(f);
            }
        } else {
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            t.setRawData(ByteString.copyFrom(b));
        }
        graph.addInitializer(t);
    }

    // ---- mutations for the wrong-structure tests ----

    /** The model without the node called {@code name}. */
    static ModelProto withoutNode(ModelProto m, String name) {
        GraphProto.Builder g = m.getGraph().toBuilder().clearNode();
        m.getGraph().getNodeList().stream().filter(n -> !n.getName().equals(name)).forEach(g::addNode);
        return m.toBuilder().setGraph(g).build();
    }

    /** The model without the initializer called {@code name}. */
    static ModelProto withoutInitializer(ModelProto m, String name) {
        GraphProto.Builder g = m.getGraph().toBuilder().clearInitializer();
        m.getGraph().getInitializerList().stream().filter(t -> !t.getName().equals(name)).forEach(g::addInitializer);
        return m.toBuilder().setGraph(g).build();
    }

    /** The model with the initializer called {@code name} changed by {@code change}. */
    static ModelProto withInitializer(ModelProto m, String name, UnaryOperator<TensorProto.Builder> change) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            if (g.getInitializer(i).getName().equals(name)) {
                g.setInitializer(i, change.apply(g.getInitializer(i).toBuilder()));
            }
        }
        return m.toBuilder().setGraph(g).build();
    }

    /** The name of the weight read by a MatMul node. */
    static String matMulWeight(ModelProto m, String nodeName) {
        return m.getGraph().getNodeList().stream().filter(n -> n.getName().equals(nodeName)).findFirst().orElseThrow().getInput(1);
    }
}
