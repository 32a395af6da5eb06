package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorArenaTest {
    private final RootAllocator root = new RootAllocator();

    @TempDir
    Path dir;

    @AfterEach
    void everyByteReturned() {
        assertThat(root.getAllocatedMemory()).isZero();
        root.close();
    }

    @Test
    void closeReturnsEveryByteAndIsIdempotent() {
        TensorArena arena = TensorArena.over(root, "a");
        arena.allocate(DType.F32, 100);
        arena.allocateUninitialized(DType.I8, 3, 3);
        assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(409);
        assertThat(root.getAllocatedMemory()).isEqualTo(arena.allocatedBytes());
        arena.close();
        arena.close();
        assertThat(arena.isClosed()).isTrue();
        assertThat(root.getAllocatedMemory()).isZero();
        assertThatThrownBy(() -> arena.allocate(DType.F32, 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("'a'");
        assertThatThrownBy(() -> arena.child("late")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rootArenasOwnTheirAllocator() {
        TensorArena arena = TensorArena.root("own");
        Tensor t = arena.copyOf(new float[] {1, 2, 3}, 3);
        assertThat(arena.allocator().getRoot()).isSameAs(arena.allocator());
        assertThat(arena.allocatedBytes()).isPositive();
        arena.close();
        assertThat(arena.allocator().getAllocatedMemory()).isZero();
        assertThatThrownBy(t::toFloatArray).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void childArenasCloseWithTheirParent() {
        TensorArena parent = TensorArena.over(root, "parent");
        TensorArena child = parent.child("child");
        TensorArena grandchild = child.child("grandchild");
        Tensor deep = grandchild.allocate(DType.F32, 8);
        assertThat(parent.allocatedBytes()).isGreaterThanOrEqualTo(32); // children's memory counts in the parent
        parent.close();
        assertThat(child.isClosed()).isTrue();
        assertThat(grandchild.isClosed()).isTrue();
        assertThatThrownBy(() -> deep.getFloat(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("grandchild");
    }

    @Test
    void aClosedChildLeavesItsParentUsable() {
        try (TensorArena parent = TensorArena.over(root, "parent")) {
            Tensor kept = parent.copyOf(new float[] {4, 5}, 2);
            TensorArena child = parent.child("child");
            child.allocate(DType.F32, 1000);
            child.close();
            assertThat(parent.allocatedBytes()).isLessThan(4000);
            assertThat(kept.toFloatArray()).containsExactly(4, 5);
            parent.child("another").allocate(DType.I8, 1);
        }
    }

    @Test
    void transferMovesOwnershipSoTheTensorSurvivesItsSourceArena() {
        try (TensorArena keep = TensorArena.over(root, "keep")) {
            Tensor moved;
            try (TensorArena scratch = TensorArena.over(root, "scratch")) {
                Tensor result = scratch.copyOf(new float[] {1, 2, 3, 4}, 2, 2);
                long before = scratch.allocatedBytes();
                moved = keep.transfer(result);
                assertThat(moved.arena()).isSameAs(keep);
                assertThat(moved.segment().address()).isEqualTo(result.segment().address()); // no copy
                assertThat(scratch.allocatedBytes()).isLessThan(before);
                assertThat(keep.allocatedBytes()).isGreaterThanOrEqualTo(16);
                assertThat(keep.transfer(moved)).isSameAs(moved);
            }
            assertThat(moved.toFloatArray()).containsExactly(1, 2, 3, 4);
            assertThat(moved.shape()).containsExactly(2, 2);
        }
    }

    @Test
    void viewsInTheSourceArenaStayValidWhenTheTargetClosesFirst() {
        try (TensorArena scratch = TensorArena.over(root, "scratch")) {
            Tensor result = scratch.copyOf(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor row = result.slice(1, 2);
            try (TensorArena keep = TensorArena.over(root, "keep")) {
                assertThat(keep.transfer(result).toFloatArray()).containsExactly(1, 2, 3, 4);
            }
            // the memory is still referenced by the source arena: no read of freed memory
            assertThat(row.toFloatArray()).containsExactly(3, 4);
        }
        assertThat(root.getAllocatedMemory()).isZero();
    }

    @Test
    void transferKeepsReadOnlyAndSliceOffsets() {
        try (TensorArena keep = TensorArena.over(root, "keep")) {
            Tensor moved;
            try (TensorArena scratch = TensorArena.over(root, "scratch")) {
                Tensor t = scratch.copyOf(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
                moved = keep.transfer(t.slice(1, 3).asReadOnly());
            }
            assertThat(moved.isReadOnly()).isTrue();
            assertThat(moved.toFloatArray()).containsExactly(3, 4, 5, 6);
            assertThatThrownBy(() -> moved.setFloat(0, 0f)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void transferFromAClosedArenaThrows() {
        try (TensorArena keep = TensorArena.over(root, "keep")) {
            TensorArena gone = TensorArena.over(root, "gone");
            Tensor t = gone.allocate(DType.F32, 2);
            gone.close();
            assertThatThrownBy(() -> keep.transfer(t)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void wrapViewsAnArrowBufferAndHoldsItsOwnReference() {
        try (TensorArena arena = TensorArena.over(root, "wrap")) {
            ArrowBuf buf = root.buffer(16);
            buf.setFloat(4, 2.5f);
            Tensor t = arena.wrap(buf, 4, DType.F32, 3);
            assertThat(t.segment().address()).isEqualTo(buf.memoryAddress() + 4);
            assertThat(t.bufferOffset()).isEqualTo(4);
            buf.getReferenceManager().release(); // the creator lets go; the arena still holds the memory
            assertThat(t.getFloat(0)).isEqualTo(2.5f);
            t.setFloat(1, 7f);
            assertThat(arena.wrap(t.arrowBuffer(), 0, DType.F32, 4).getFloat(2)).isEqualTo(7f);
            assertThatThrownBy(() -> arena.wrap(t.arrowBuffer(), 8, DType.F32, 3))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("16 bytes");
        }
    }

    @Test
    void mappedFilesAreReadOnlyViews() throws IOException {
        Path file = floats("weights.bin", 1, 2, 3, 4, 5, 6);
        try (TensorArena arena = TensorArena.over(root, "weights")) {
            TensorArena.MappedFile mapped = arena.mapReadOnly(file);
            assertThat(mapped.size()).isEqualTo(24);
            assertThat(mapped.segment().isReadOnly()).isTrue();
            Tensor w = arena.view(mapped, 8, DType.F32, 2, 2);
            assertThat(w.isReadOnly()).isTrue();
            assertThat(w.toFloatArray()).containsExactly(3, 4, 5, 6);
            assertThatThrownBy(() -> w.setFloat(0, 0f)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> w.copyFrom(new float[4])).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> w.segment().set(Tensor.F32, 0, 0f)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mapped.segment().set(Tensor.F32, 0, 0f)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> arena.view(mapped, 12, DType.F32, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weights.bin").hasMessageContaining("24 bytes");
            arena.close();
            assertThatThrownBy(w::toFloatArray).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> mapped.segment().get(Tensor.F32, 0)).isInstanceOf(IllegalStateException.class);
        }
        assertThat(Files.readAllBytes(file)).hasSize(24);
    }

    @Test
    void mappingEmptyOrMissingFiles() throws IOException {
        Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
        try (TensorArena arena = TensorArena.over(root, "m")) {
            TensorArena.MappedFile mapped = arena.mapReadOnly(empty);
            assertThat(mapped.size()).isZero();
            assertThat(arena.view(mapped, 0, DType.F32, 0).elementCount()).isZero();
            assertThatThrownBy(() -> arena.mapReadOnly(dir.resolve("absent.bin"))).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> arena.mapReadOnly(dir)).isInstanceOf(NoSuchFileException.class);
        }
    }

    @Test
    void aColumnOverAMappedFileOutlivesTheArenaThatMappedIt() throws IOException {
        // Before the mapping's lifetime followed the Arrow buffer's references, closing the arena unmapped the
        // file under the column and reading it crashed the JVM.
        Path file = floats("mapped.bin", 1, 2, 3, 4);
        FixedShapeTensorVector column;
        try (TensorArena arena = TensorArena.over(root, "weights")) {
            Tensor w = arena.view(arena.mapReadOnly(file), 0, DType.F32, 2, 2);
            column = TensorColumns.export("w", w, root);
        }
        try (column) {
            assertThat(column.getObject(1)).isEqualTo(List.of(3f, 4f));
        }
    }

    @Test
    void aTransferredMappedViewOutlivesTheArenaThatMappedIt() throws IOException {
        Path file = floats("moved.bin", 1, 2, 3, 4);
        try (TensorArena keep = TensorArena.over(root, "keep")) {
            Tensor moved;
            try (TensorArena arena = TensorArena.over(root, "weights")) {
                moved = keep.transfer(arena.view(arena.mapReadOnly(file), 4, DType.F32, 3));
            }
            assertThat(moved.isReadOnly()).isTrue();
            assertThat(moved.toFloatArray()).containsExactly(2, 3, 4);
        }
    }

    private Path floats(String name, float... values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return Files.write(dir.resolve(name), b.array());
    }
}
