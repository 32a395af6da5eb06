package dev.graft.backbones.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.backbones.onnx.proto.ModelProto;
import dev.graft.backbones.onnx.proto.TensorProto;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mapping and parsing an ONNX file: offsets into the mapping, and every kind of bad file. */
class OnnxModelFileTest {
    @TempDir
    Path dir;

    @Test
    void rawDataOffsetsPointAtTheInitializerBytesInTheFile() throws IOException {
        TinyBertOnnx tiny = TinyBertOnnx.standard();
        ModelProto model = tiny.build();
        Path file = TinyBertOnnx.write(model, dir.resolve("tiny.onnx"));
        byte[] bytes = Files.readAllBytes(file);
        try (TensorArena arena = TensorArena.root("offsets")) {
            OnnxModelFile f = OnnxModelFile.open(file, arena);
            assertThat(f.initializerNames()).containsExactlyElementsOf(tiny.values().keySet());
            assertThat(f.graph().getInitializerCount()).as("initializers are kept out of the parsed graph").isZero();
            assertThat(f.graph().getNodeCount()).isEqualTo(model.getGraph().getNodeCount());
            assertThat(f.model().getProducerName()).isEqualTo("graft-test");
            for (Map.Entry<String, float[]> e : tiny.values().entrySet()) {
                long offset = f.rawDataOffset(e.getKey()).orElseThrow();
                float[] expected = e.getValue();
                // Offset arithmetic checked against the file's bytes, independently of the mapping.
                ByteBuffer b = ByteBuffer.wrap(bytes, (int) offset, expected.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : expected) {
                    assertThat(b.getFloat()).isEqualTo(x);
                }
                Tensor t = f.floatTensor(e.getKey());
                assertThat(t.bufferOffset()).isEqualTo(offset);
                assertThat(t.toFloatArray()).containsExactly(expected);
                assertThat(f.initializerInfo(e.getKey()).orElseThrow().hasRawData()).as("raw_data is skipped, not parsed").isFalse();
            }
            assertThat(f.mapped().segment().isReadOnly()).isTrue();
            assertThat(arena.allocatedBytes()).isEqualTo(bytes.length);
        }
    }

    @Test
    void readsShapeAndScalarConstants() throws IOException {
        Path file = TinyBertOnnx.write(TinyBertOnnx.standard().build(), dir.resolve("tiny.onnx"));
        try (TensorArena arena = TensorArena.root("constants")) {
            OnnxModelFile f = OnnxModelFile.open(file, arena);
            assertThat(f.int64Constant("/encoder/layer.0/attention/self/Reshape_heads_output_0")).hasValueSatisfying(v -> assertThat(v).containsExactly(2));
            assertThat(f.floatConstant("/encoder/layer.0/attention/self/Constant_12_output_0")).hasValueSatisfying(v -> assertThat(v).containsExactly(2f));
            assertThat(f.int64Constant("/encoder/layer.0/attention/self/Reshape_shape_output_0")).isEmpty();
            assertThat(f.floatConstant("embeddings.LayerNorm.weight")).hasValueSatisfying(v -> assertThat(v).hasSize(TinyBertOnnx.HIDDEN));
        }
    }

    private void assertRejected(Path file, String... messageParts) throws IOException {
        try (TensorArena arena = TensorArena.root("bad")) {
            assertThatThrownBy(() -> OnnxBertImporter.read(file, arena))
                    .isInstanceOf(OnnxFormatException.class)
                    .hasMessageStartingWith(file + ": ")
                    .satisfies(e -> Arrays.stream(messageParts).forEach(part -> assertThat(e.getMessage()).contains(part)))
                    .satisfies(e -> assertThat(((OnnxFormatException) e).file()).isEqualTo(file));
        }
    }

    @Test
    void anEmptyFileIsNamed() throws IOException {
        assertRejected(Files.write(dir.resolve("empty.onnx"), new byte[0]), "empty");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.onnx");
        try (TensorArena arena = TensorArena.root("missing")) {
            assertThatThrownBy(() -> OnnxModelFile.open(missing, arena))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining(missing.toString());
            assertThatThrownBy(() -> OnnxModelFile.open(dir, arena))
                    .isInstanceOf(NoSuchFileException.class).hasMessageContaining(dir.toString()).hasMessageContaining("not a regular file");
        }
    }

    @Test
    void randomBytesAreRejectedNamingTheFile() throws IOException {
        SplittableRandom r = new SplittableRandom(1);
        for (int size : new int[] {1, 7, 100, 4096, 1 << 20}) {
            byte[] junk = new byte[size];
            r.nextBytes(junk);
            assertRejected(Files.write(dir.resolve("junk-" + size + ".onnx"), junk));
        }
        assertRejected(Files.writeString(dir.resolve("text.onnx"), "this is not a model\n"));
    }

    /**
     * Cut anywhere before the graph ends, a model fails with a clear exception naming the file: never a crash or a
     * partial model. (Only the opset_import field follows the graph; a cut exactly between the two leaves a valid
     * protobuf, so cuts stop before that tail.)
     */
    @Test
    void everyTruncationIsRejectedNamingTheFile() throws IOException {
        ModelProto model = TinyBertOnnx.standard().build();
        byte[] whole = model.toByteArray();
        int tail = ModelProto.newBuilder().addAllOpsetImport(model.getOpsetImportList()).build().getSerializedSize();
        Path file = dir.resolve("cut.onnx");
        for (int cut = 1; cut < whole.length - tail; cut += Math.max(1, whole.length / 400)) {
            Files.write(file, Arrays.copyOf(whole, cut));
            try (TensorArena arena = TensorArena.root("cut")) {
                final int at = cut;
                assertThatThrownBy(() -> OnnxBertImporter.read(file, arena)).as("cut at %d of %d", at, whole.length)
                        .isInstanceOf(OnnxFormatException.class).hasMessageStartingWith(file + ": ");
            }
        }
    }

    /** Random byte flips: each file either loads or fails with an OnnxFormatException naming the file. */
    @Test
    void corruptedBytesLoadOrFailCleanly() throws IOException {
        byte[] whole = TinyBertOnnx.standard().build().toByteArray();
        Path file = dir.resolve("flipped.onnx");
        SplittableRandom r = new SplittableRandom(3);
        int failed = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = whole.clone();
            for (int k = 0; k < 3; k++) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            Files.write(file, b);
            try (TensorArena arena = TensorArena.root("flip")) {
                OnnxBertImporter.read(file, arena);
            } catch (OnnxFormatException e) {
                assertThat(e).hasMessageStartingWith(file + ": ");
                failed++;
            }
        }
        assertThat(failed).as("some flips must hit the structure").isPositive();
    }

    @Test
    void aTensorSplitIntoSegmentsIsRefused() throws IOException {
        // TensorProto.segment (field 3) is not in our subset; add it as raw wire bytes: tag 3/LEN, {begin=1:0, end=2:1}.
        ModelProto m = TinyBertOnnx.withInitializer(TinyBertOnnx.standard().build(), "embeddings.LayerNorm.bias",
                t -> t.setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                        .addField(3, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                .addLengthDelimited(com.google.protobuf.ByteString.copyFrom(new byte[] {8, 0, 16, 1})).build())
                        .build()));
        Path file = TinyBertOnnx.write(m, dir.resolve("segmented.onnx"));
        try (TensorArena arena = TensorArena.root("segment")) {
            OnnxModelFile f = OnnxModelFile.open(file, arena);
            assertThatThrownBy(() -> f.floatTensor("embeddings.LayerNorm.bias"))
                    .isInstanceOf(OnnxFormatException.class).hasMessageContaining("segment");
        }
    }

    @Test
    void twoInitializersWithOneNameAreRefused() throws IOException {
        ModelProto base = TinyBertOnnx.standard().build();
        TensorProto dup = base.getGraph().getInitializer(0);
        ModelProto m = base.toBuilder().setGraph(base.getGraph().toBuilder().addInitializer(dup)).build();
        assertRejected(TinyBertOnnx.write(m, dir.resolve("dup.onnx")), "two initializers named '" + dup.getName() + "'");
    }
}
