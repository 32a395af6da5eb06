package dev.graft.core.io;

import static dev.graft.core.io.SafetensorsBytes.concat;
import static dev.graft.core.io.SafetensorsBytes.f32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.graft.core.tensor.TensorArena;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a header can lie gives a {@link SafetensorsFormatException} naming the file and the culprit, before any memory is mapped. */
class SafetensorsCorruptionTest {
    private static final String W = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    private static final byte[] TWO = f32(1, 2);

    @TempDir
    Path dir;

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.root("corruption-test");
    }

    @AfterEach
    void close() {
        arena.close();
        assertThat(arena.allocatedBytes()).isZero();
    }

    static Stream<Arguments> corruptFiles() {
        byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
        return Stream.of(
                Arguments.of("shorter than the length field", new byte[] {1, 0, 0, 0}, "too short for the 8-byte header length"),
                Arguments.of("header length 2^60", SafetensorsBytes.file(1L << 60, json, new byte[0]),
                        "header length 1152921504606846976 bytes runs past the end of the file (10 bytes)"),
                Arguments.of("header length with the sign bit set", SafetensorsBytes.file(-1L, json, new byte[0]),
                        "header length 18446744073709551615 bytes runs past the end"),
                Arguments.of("header length one past the file", SafetensorsBytes.file(3, json, new byte[0]),
                        "header length 3 bytes runs past the end of the file (10 bytes)"),
                Arguments.of("empty header", SafetensorsBytes.file(0, new byte[0], new byte[0]), "cannot hold a JSON object"),
                Arguments.of("invalid UTF-8", SafetensorsBytes.file(3, new byte[] {'{', (byte) 0xC3, '}'}, new byte[0]),
                        "header is not valid UTF-8"),
                Arguments.of("not an object", SafetensorsBytes.file("[1, 2]", new byte[0]), "does not start with '{'"),
                Arguments.of("JSON syntax", SafetensorsBytes.file("{\"w\": }", new byte[0]), "header is not valid JSON"),
                Arguments.of("truncated JSON", SafetensorsBytes.file("{" + W, TWO), "header is not valid JSON"),
                Arguments.of("trailing tokens", SafetensorsBytes.file("{" + W + "} {}", TWO), "header is not valid JSON"),
                Arguments.of("duplicate tensor", SafetensorsBytes.file("{" + W + "," + W + "}", TWO), "Duplicate field 'w'"),
                Arguments.of("entry not an object", SafetensorsBytes.file("{\"w\": 3}", new byte[0]),
                        "tensor 'w': entry must be an object"),
                Arguments.of("dtype missing", SafetensorsBytes.file("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': field 'dtype' is missing"),
                Arguments.of("unknown dtype", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': unknown dtype 'F33'"),
                Arguments.of("shape missing", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': field 'shape' is missing"),
                Arguments.of("negative dimension", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': shape[0] = -2 is not a non-negative 64-bit integer"),
                Arguments.of("fractional dimension", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': shape[0] = 2.5"),
                Arguments.of("dimension beyond 64 bits", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': shape[0] = 18446744073709551616"),
                Arguments.of("shape overflows", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': shape [4294967296, 4294967296] of F32 overflows"),
                Arguments.of("three offsets", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", TWO),
                        "tensor 'w': field 'data_offsets' must have 2 elements, has 3"),
                Arguments.of("offsets reversed", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", TWO),
                        "tensor 'w': data_offsets [8, 0] are out of order"),
                Arguments.of("offsets past the data", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", TWO),
                        "tensor 'w': data_offsets [0, 16] run past the end of the data region (8 bytes)"),
                Arguments.of("range does not match shape", SafetensorsBytes.file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", TWO),
                        "tensor 'w': data_offsets [0, 8] span 8 bytes but F32 [3] needs 12"),
                Arguments.of("overlapping ranges", SafetensorsBytes.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", f32(1, 2, 3)),
                        "tensor 'b' (bytes [4, 12)) overlaps tensor 'a' (bytes [0, 8))"),
                Arguments.of("gap between ranges", SafetensorsBytes.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", f32(1, 2, 3)),
                        "bytes [4, 8) of the data region belong to no tensor (gap before tensor 'b')"),
                Arguments.of("trailing data", SafetensorsBytes.file("{" + W + "}", concat(TWO, f32(3))),
                        "4 bytes after the last tensor 'w' belong to no tensor"),
                Arguments.of("metadata not strings", SafetensorsBytes.file("{\"__metadata__\":{\"format\":1}," + W + "}", TWO),
                        "__metadata__.format must be a string"),
                Arguments.of("metadata not an object", SafetensorsBytes.file("{\"__metadata__\":\"pt\"," + W + "}", TWO),
                        "__metadata__ must be an object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptFiles")
    void corruptHeaderGivesAClearErrorAndMapsNothing(String label, byte[] bytes, String expected) throws IOException {
        Path file = SafetensorsBytes.write(dir, "bad.safetensors", bytes);
        assertThatThrownBy(() -> Safetensors.open(file, arena))
                .as(label)
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageStartingWith(file.toString() + ": ")
                .hasMessageContaining(expected);
        assertThat(arena.allocatedBytes()).isZero();
    }

    @Test
    void headerOverTheLimitIsRejectedWithoutReadingIt() throws IOException {
        Path file = dir.resolve("huge.safetensors");
        long n = Safetensors.MAX_HEADER_BYTES + 1;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(SafetensorsBytes.file(n, new byte[0], new byte[0]));
            f.setLength(8 + n); // sparse: no disk used
        }
        assertThatThrownBy(() -> Safetensors.open(file, arena))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("header length " + n + " bytes exceeds the limit of " + Safetensors.MAX_HEADER_BYTES);
        assertThat(arena.allocatedBytes()).isZero();
    }

    @Test
    void missingFileAndDirectoryAreNamed() {
        Path missing = dir.resolve("absent.safetensors");
        assertThatThrownBy(() -> Safetensors.open(missing, arena))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> Safetensors.open(dir, arena))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining(dir.toString());
    }

    @Test
    void aValidFileNextToTheseCasesOpens() throws IOException {
        Path file = SafetensorsBytes.write(dir, "good.safetensors", SafetensorsBytes.file("{" + W + "}", TWO));
        assertThat(Safetensors.open(file, arena).tensor("w").toFloatArray()).containsExactly(1, 2);
        assertThat(Files.size(file)).isEqualTo(arena.allocatedBytes());
    }
}
