package dev.graft.core.tensor;

import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;

/** Element types a {@link Tensor} can hold, with their size and their Arrow type. */
public enum DType {
    F32(4, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
    I32(4, new ArrowType.Int(32, true)),
    I8(1, new ArrowType.Int(8, true));

    private final int byteSize;
    private final ArrowType arrowType;

    DType(int byteSize, ArrowType arrowType) {
        this.byteSize = byteSize;
        this.arrowType = arrowType;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The Arrow type of one element (the value type of a fixed-shape-tensor column). */
    public ArrowType arrowType() {
        return arrowType;
    }

    /** The dtype whose Arrow type is {@code type}, or an exception naming the unsupported type. */
    public static DType fromArrowType(ArrowType type) {
        for (DType d : values()) {
            if (d.arrowType.equals(type)) {
                return d;
            }
        }
        throw new IllegalArgumentException("no Graft dtype for Arrow type " + type + " (supported: f32, i32, i8)");
    }
}
