package dev.graft.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TensorTest {
    private final RootAllocator root = new RootAllocator();
    private final TensorArena arena = TensorArena.over(root, "tensor-test");

    @AfterEach
    void everyByteReturned() {
        arena.close();
        assertThat(root.getAllocatedMemory()).isZero();
        root.close();
    }

    @Test
    void describesItself() {
        Tensor t = arena.allocate(DType.F32, 2, 3, 4);
        assertThat(t.rank()).isEqualTo(3);
        assertThat(t.elementCount()).isEqualTo(24);
        assertThat(t.byteSize()).isEqualTo(96);
        assertThat(t.size(-1)).isEqualTo(4);
        assertThat(t.dim(1)).isEqualTo(3);
        assertThat(t.describe()).isEqualTo("f32[2, 3, 4]");
        assertThat(t.arena()).isSameAs(arena);
        assertThat(arena.allocate(DType.I8, 5).byteSize()).isEqualTo(5);
        assertThat(arena.allocate(DType.I32, 5).byteSize()).isEqualTo(20);
    }

    @Test
    void allocateZeroFillsAndShapeIsCopied() {
        long[] shape = {2, 2};
        Tensor t = arena.allocate(DType.F32, shape);
        shape[0] = 9;
        t.shape()[1] = 9;
        assertThat(t.shape()).containsExactly(2, 2);
        assertThat(t.toFloatArray()).containsOnly(0f);
    }

    @Test
    void elementCountRejectsNegativeAndOverflowingShapes() {
        assertThatThrownBy(() -> Tensor.elementCount(2, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("axis 1");
        assertThatThrownBy(() -> Tensor.elementCount(Long.MAX_VALUE, 2)).isInstanceOf(ArithmeticException.class);
        assertThat(Tensor.elementCount(new long[0])).isEqualTo(1);
    }

    @Test
    void indexIsRowMajorAndBoundsChecked() {
        Tensor t = arena.allocate(DType.I32, 2, 3, 4);
        assertThat(t.index(0, 0, 0)).isZero();
        assertThat(t.index(1, 2, 3)).isEqualTo(23);
        assertThat(t.index(1, 0, 2)).isEqualTo(14);
        assertThatThrownBy(() -> t.index(2, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.index(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.getInt(24)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.getInt(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void accessorsMatchTheDtype() {
        Tensor f = arena.allocate(DType.F32, 2);
        Tensor i = arena.allocate(DType.I32, 2);
        Tensor b = arena.allocate(DType.I8, 2);
        f.setFloat(1, 1.5f);
        i.setInt(1, -7);
        b.setByte(1, (byte) -128);
        assertThat(f.getFloat(1)).isEqualTo(1.5f);
        assertThat(i.getInt(1)).isEqualTo(-7);
        assertThat(b.getByte(1)).isEqualTo((byte) -128);
        assertThatThrownBy(() -> f.getInt(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("f32");
        assertThatThrownBy(() -> i.setFloat(0, 1f)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.toFloatArray()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void copyFromArraysAndTensors() {
        Tensor a = arena.copyOf(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertThat(a.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        Tensor b = arena.allocate(DType.F32, 3, 2).copyFrom(a);
        assertThat(b.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(arena.copyOf(new int[] {3, 4}, 2).toIntArray()).containsExactly(3, 4);
        assertThatThrownBy(() -> a.copyFrom(new float[5])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 values");
        assertThatThrownBy(() -> a.copyFrom(arena.allocate(DType.I32, 6))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.copyFrom(arena.allocate(DType.F32, 7))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reshapeInfersOneMinusOneAndSharesMemory() {
        Tensor t = arena.copyOf(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, 6);
        Tensor r = t.reshape(-1, 3, 2);
        assertThat(r.shape()).containsExactly(2, 3, 2);
        assertThat(t.reshape(4, -1).shape()).containsExactly(4, 3);
        assertThat(t.reshape(12).shape()).containsExactly(12);
        assertThat(r.segment().address()).isEqualTo(t.segment().address());
        r.setFloat(r.index(1, 2, 1), 99f);
        assertThat(t.getFloat(11)).isEqualTo(99f);
    }

    @Test
    void reshapeRejectsWhatDoesNotFit() {
        Tensor t = arena.allocate(DType.F32, 2, 6);
        assertThatThrownBy(() -> t.reshape(5, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot reshape");
        assertThatThrownBy(() -> t.reshape(-1, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only one");
        assertThatThrownBy(() -> t.reshape(3, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9 elements");
        assertThatThrownBy(() -> t.reshape(-2, 6)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> t.reshape(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sliceViewsRowsOfTheFirstAxis() {
        Tensor t = arena.copyOf(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 4, 2);
        Tensor s = t.slice(1, 3);
        assertThat(s.shape()).containsExactly(2, 2);
        assertThat(s.toFloatArray()).containsExactly(2, 3, 4, 5);
        assertThat(s.bufferOffset()).isEqualTo(8);
        assertThat(s.arrowBuffer()).isSameAs(t.arrowBuffer());
        assertThat(s.segment().address()).isEqualTo(t.segment().address() + 8);
        s.setFloat(0, -1f);
        assertThat(t.getFloat(2)).isEqualTo(-1f);
        assertThat(t.slice(2, 2).elementCount()).isZero();
        assertThat(t.slice(1, 3).slice(1, 2).toFloatArray()).containsExactly(4, 5);
        assertThatThrownBy(() -> t.slice(3, 5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.slice(2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> arena.allocate(DType.F32).slice(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readOnlyViewsRejectEveryWrite() {
        Tensor t = arena.copyOf(new float[] {1, 2}, 2);
        Tensor ro = t.asReadOnly();
        assertThat(ro.isReadOnly()).isTrue();
        assertThat(ro.asReadOnly()).isSameAs(ro);
        assertThat(ro.getFloat(1)).isEqualTo(2f);
        assertThatThrownBy(() -> ro.setFloat(0, 3f)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ro.copyFrom(new float[2])).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ro.copyFrom(t)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ro.reshape(1, 2).setFloat(0, 3f)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ro.slice(0, 1).setFloat(0, 3f)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> ro.segment().set(Tensor.F32, 0, 3f)).isInstanceOf(IllegalArgumentException.class);
        Tensor ri = arena.allocate(DType.I32, 1).asReadOnly();
        assertThatThrownBy(() -> ri.setInt(0, 1)).isInstanceOf(UnsupportedOperationException.class);
        Tensor rb = arena.allocate(DType.I8, 1).asReadOnly();
        assertThatThrownBy(() -> rb.setByte(0, (byte) 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(t.getFloat(0)).isEqualTo(1f);
    }

    @Test
    void useAfterTheArenaClosedThrows() {
        TensorArena scratch = arena.child("scratch");
        Tensor t = scratch.copyOf(new float[] {1, 2}, 2);
        Tensor view = t.reshape(1, 2);
        scratch.close();
        assertThatThrownBy(() -> t.getFloat(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("scratch");
        assertThatThrownBy(() -> view.setFloat(0, 1f)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(t::toFloatArray).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> t.segment().get(Tensor.F32, 0)).isInstanceOf(IllegalStateException.class);
    }
}
