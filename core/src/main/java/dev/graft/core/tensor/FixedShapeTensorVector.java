package dev.graft.core.tensor;

import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.hash.ArrowBufHasher;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.CallBack;
import org.apache.arrow.vector.util.TransferPair;

/**
 * An Arrow vector of {@link FixedShapeTensorType}: one tensor per row, stored in a {@link FixedSizeListVector}
 * whose child ({@link #values()}) holds all rows' elements back to back, row-major.
 *
 * <p>Arrow creates it for fields of the extension type (after {@link FixedShapeTensorType#ensureRegistered()});
 * {@link TensorColumns#export} makes one over a {@link Tensor}'s memory, {@link TensorColumns#toTensor} views
 * one as a tensor. Both directions share memory instead of copying.
 */
public final class FixedShapeTensorVector extends ExtensionTypeVector<FixedSizeListVector> {
    private final FieldType fieldType;

    /**
     * An empty vector; its element vector appears when Arrow calls {@link #initializeChildrenFromFields}
     * (as {@code Field.createVector} does).
     *
     * @param fieldType a field type whose type is a {@link FixedShapeTensorType}
     */
    public FixedShapeTensorVector(String name, FieldType fieldType, BufferAllocator allocator) {
        super(name, allocator, new FixedSizeListVector(name, allocator, storageFieldType(fieldType), null));
        this.fieldType = fieldType;
    }

    private static FieldType storageFieldType(FieldType fieldType) {
        Objects.requireNonNull(fieldType, "fieldType");
        if (!(fieldType.getType() instanceof FixedShapeTensorType t)) {
            throw new IllegalArgumentException("a FixedShapeTensorVector needs a FixedShapeTensorType, not "
                    + fieldType.getType());
        }
        return new FieldType(fieldType.isNullable(), t.storageType(), fieldType.getDictionary(), null);
    }

    /** The tensor type: shape, dimension names, permutation. */
    public FixedShapeTensorType tensorType() {
        return (FixedShapeTensorType) fieldType.getType();
    }

    /** The child vector holding every element of every row. */
    public FieldVector values() {
        return getUnderlyingVector().getDataVector();
    }

    /** The Graft dtype of the elements; throws for element types Graft has no dtype for. */
    public DType dtype() {
        return DType.fromArrowType(values().getField().getType());
    }

    /** The extension field, with the storage's child field (so schemas and IPC files carry the element type). */
    @Override
    public Field getField() {
        return new Field(getName(), fieldType, getUnderlyingVector().getField().getChildren());
    }

    /** Row {@code index} as Arrow's boxed list of elements (row-major), or {@code null} for a null row. */
    @Override
    public List<?> getObject(int index) {
        return getUnderlyingVector().getObject(index);
    }

    @Override
    public int hashCode(int index) {
        return getUnderlyingVector().hashCode(index);
    }

    @Override
    public int hashCode(int index, ArrowBufHasher hasher) {
        return getUnderlyingVector().hashCode(index, hasher);
    }

    @Override
    public TransferPair getTransferPair(String ref, BufferAllocator allocator) {
        return makeTransferPair(emptyCopy(ref, allocator));
    }

    @Override
    public TransferPair getTransferPair(String ref, BufferAllocator allocator, CallBack callBack) {
        return getTransferPair(ref, allocator);
    }

    @Override
    public TransferPair getTransferPair(Field field, BufferAllocator allocator) {
        return makeTransferPair(emptyCopy(field.getName(), allocator));
    }

    @Override
    public TransferPair getTransferPair(Field field, BufferAllocator allocator, CallBack callBack) {
        return getTransferPair(field, allocator);
    }

    @Override
    public TransferPair getTransferPair(BufferAllocator allocator) {
        return getTransferPair(getName(), allocator);
    }

    /** Transfers into another tensor vector, keeping the extension type (Arrow's default would drop it). */
    @Override
    public TransferPair makeTransferPair(ValueVector target) {
        if (!(target instanceof FixedShapeTensorVector to)) {
            throw new IllegalArgumentException("cannot transfer a " + tensorType() + " column into a "
                    + target.getClass().getSimpleName());
        }
        TransferPair storage = getUnderlyingVector().makeTransferPair(to.getUnderlyingVector());
        return new TransferPair() {
            @Override
            public void transfer() {
                storage.transfer();
            }

            @Override
            public void splitAndTransfer(int startIndex, int length) {
                storage.splitAndTransfer(startIndex, length);
            }

            @Override
            public ValueVector getTo() {
                return to;
            }

            @Override
            public void copyValueSafe(int from, int toIndex) {
                storage.copyValueSafe(from, toIndex);
            }
        };
    }

    private FixedShapeTensorVector emptyCopy(String name, BufferAllocator allocator) {
        FixedShapeTensorVector v = new FixedShapeTensorVector(name, fieldType, allocator);
        v.initializeChildrenFromFields(getUnderlyingVector().getField().getChildren());
        return v;
    }
}
