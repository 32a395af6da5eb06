package dev.graft.core.io;

import dev.graft.core.tensor.DType;

/**
 * Every element type the safetensors format names, with its size, so that a file holding types Graft does not
 * compute in (an {@code I64} {@code position_ids} buffer, say) can still be validated and opened. Only the
 * tensors a caller actually asks for must be of a type Graft can represent.
 */
enum SafetensorsDType {
    BOOL(1, null), U8(1, null), I8(1, DType.I8), F8_E5M2(1, null), F8_E4M3(1, null),
    I16(2, null), U16(2, null), F16(2, null), BF16(2, null),
    I32(4, DType.I32), U32(4, null), F32(4, DType.F32),
    F64(8, null), I64(8, null), U64(8, null);

    final int byteSize;
    /** The Graft dtype with the same bytes, or null when there is none. */
    final DType graft;

    SafetensorsDType(int byteSize, DType graft) {
        this.byteSize = byteSize;
        this.graft = graft;
    }

    /** The format's dtype for a Graft dtype (always exists). */
    static SafetensorsDType of(DType d) {
        return switch (d) {
            case F32 -> F32;
            case I32 -> I32;
            case I8 -> I8;
        };
    }

    /** The dtype named {@code name} in a header, or null when the format has no such type. */
    static SafetensorsDType parse(String name) {
        for (SafetensorsDType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }
}
