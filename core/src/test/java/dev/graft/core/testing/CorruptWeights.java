package dev.graft.core.testing;

import dev.graft.core.io.Safetensors;
import dev.graft.core.io.SafetensorsFile;
import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Damages weights files the way the hostile cases were made: one float overwritten in place (a NaN in a copy of a
 * real {@code model.safetensors}, an infinity in a LayerNorm weight), everything else byte for byte the same.
 */
public final class CorruptWeights {
    private CorruptWeights() {
    }

    /** Overwrites element {@code index} of the F32 tensor {@code tensor} in the safetensors file {@code file}. */
    public static void setFloat(Path file, String tensor, long index, float value) throws IOException {
        long offset;
        try (TensorArena arena = TensorArena.root("corrupt")) {
            SafetensorsFile st = Safetensors.open(file, arena);
            SafetensorsFile.TensorInfo info = st.info(tensor);
            if (!info.dtype().equals("F32") || index < 0 || (index + 1) * 4 > info.end() - info.begin()) {
                throw new IllegalArgumentException(tensor + " " + info + " has no f32 element " + index);
            }
            offset = st.dataStart() + info.begin() + index * 4;
        }
        setFloatAt(file, offset, value);
    }

    /** Overwrites the little-endian f32 at byte {@code offset} of {@code file}. */
    public static void setFloatAt(Path file, long offset, float value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).flip();
            while (b.hasRemaining()) {
                ch.write(b, offset + b.position());
            }
        }
    }
}
