package dev.graft.core.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;

/**
 * Maps a whole file into memory as one Arrow buffer whose mapping lives exactly as long as Arrow holds a
 * reference to it — the last {@code release()} unmaps — so Arrow vectors and tensors over the file stay
 * valid however their owners are closed, and nothing can read an unmapped page.
 *
 * <p>The mapping is {@link FileChannel.MapMode#PRIVATE private} (copy-on-write) when the file can be opened
 * for writing: Arrow Java has no read-only buffers, and a write through an Arrow vector into a read-only
 * mapping would crash the JVM; a private mapping turns such a write into a private page copy and never
 * changes the file. When the file cannot be opened for writing (permissions, read-only file system) the
 * mapping is read-only and {@link Mapping#copyOnWrite()} is false: callers must then keep Arrow code from
 * writing (Graft's own views of it are read-only tensors).
 */
final class FileMapping {
    private FileMapping() {
    }

    /** A mapped file: the Arrow buffer (one reference, owned by the caller), its address and size. */
    record Mapping(ArrowBuf buffer, long address, long size, boolean copyOnWrite) {
    }

    /**
     * Maps {@code file} (which must not be empty) and accounts its size in {@code allocator}.
     *
     * @throws IOException if the file cannot be opened or mapped
     */
    static Mapping map(Path file, BufferAllocator allocator) throws IOException {
        Arena mappingScope = Arena.ofShared();
        try {
            MemorySegment mapped;
            boolean copyOnWrite;
            try (FileChannel readOnly = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = readOnly.size();
                if (size == 0) {
                    throw new IOException(file + ": cannot map an empty file");
                }
                FileChannel readWrite = openReadWrite(file);
                copyOnWrite = readWrite != null;
                try {
                    mapped = copyOnWrite
                            ? readWrite.map(FileChannel.MapMode.PRIVATE, 0, size, mappingScope)
                            : readOnly.map(FileChannel.MapMode.READ_ONLY, 0, size, mappingScope);
                } finally {
                    if (readWrite != null) {
                        readWrite.close();
                    }
                }
            }
            long address = mapped.address();
            long size = mapped.byteSize();
            ArrowBuf buffer = allocator.wrapForeignAllocation(new ForeignAllocation(size, address) {
                @Override
                protected void release0() {
                    mappingScope.close(); // the last Arrow reference is gone: unmap
                }
            });
            return new Mapping(buffer, address, size, copyOnWrite);
        } catch (IOException | RuntimeException | Error e) {
            mappingScope.close();
            throw e;
        }
    }

    /** The file opened for reading and writing (only to map it copy-on-write), or null when that is refused. */
    private static FileChannel openReadWrite(Path file) {
        try {
            return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }
}
