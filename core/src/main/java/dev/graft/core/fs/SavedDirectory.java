package dev.graft.core.fs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Saves a directory of files (a head, an adapter, a composed model, a model) without ever deleting or replacing
 * a file Graft did not write.
 *
 * <ul>
 *   <li>The content is written into a hidden temporary sibling ({@link TempFiles}: deleted when the JVM ends
 *       before the save is done, or by the next run if the JVM was killed).</li>
 *   <li>A new target (or an empty directory) is then renamed into place: it appears complete or not at all.</li>
 *   <li>A target that holds a previous save of the same {@link Kind} is replaced only with
 *       {@link Existing#REPLACE}, and then file by file: Graft's own files are replaced or removed, every other
 *       file in the directory (notes, results, subdirectories) stays as it was. The marker file goes last (and is
 *       removed first), so a replacement cut short leaves a directory that does not load as a save rather than
 *       a mix of two saves.</li>
 *   <li>Any other existing target (a file, a non-empty directory that is not such a save) is refused before
 *       anything is written.</li>
 * </ul>
 *
 * <p>Graft's own files are those listed in the hidden manifest {@value #MANIFEST} every save writes; in a
 * directory saved before manifests existed, the marker and the names {@link Kind#legacyFiles()} lists.
 */
public final class SavedDirectory {
    /** The list of files a save wrote, kept in the saved directory. */
    public static final String MANIFEST = ".graft-files.json";
    private static final String FORMAT = "graft-files";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Writes the content of a directory. */
    @FunctionalInterface
    public interface Content {
        /** Writes the files of the save into {@code dir} (which exists, empty). */
        void writeInto(Path dir) throws IOException;
    }

    /**
     * A kind of save.
     *
     * @param name        what it is, for the manifest and for messages ("head", "adapter", …)
     * @param marker      the file every save of this kind has ({@code head_config.json}), or null for a kind that
     *                    is only ever written into a new or empty directory (no manifest is written then: the
     *                    directory holds exactly the content, as a format such as a Hugging Face model expects)
     * @param legacyFiles the files (relative paths; a name ending in {@code /} is a whole subdirectory) a save of
     *                    this kind wrote before manifests existed
     */
    public record Kind(String name, String marker, Set<String> legacyFiles) {
        public Kind {
            Objects.requireNonNull(name, "name");
            legacyFiles = Set.copyOf(legacyFiles);
        }
    }

    /** What a save does with a target directory that holds a previous save of the same kind. */
    public enum Existing {
        /** Refuse it: only a new or empty directory is written. */
        REFUSE,
        /** Replace Graft's files in it, keeping every other file. */
        REPLACE
    }

    private SavedDirectory() {
    }

    /**
     * Saves {@code content} at {@code target}.
     *
     * @throws FileAlreadyExistsException when {@code target} is a file, a non-empty directory that is not a save of
     *                                    this kind, a previous save and {@code existing} is {@link Existing#REFUSE},
     *                                    or holds a file of another origin where the save has one; nothing is
     *                                    changed then
     * @throws IOException                when writing fails (the target is left as it was, unless the replacement
     *                                    of a previous save failed half-way: then its marker file is missing)
     */
    public static void write(Path target, Kind kind, Existing existing, Content content) throws IOException {
        Path abs = absolute(target);
        Target state = inspect(abs, kind, existing);
        Files.createDirectories(abs.getParent());
        Path tmp = TempFiles.createDirectory(abs);
        try {
            content.writeInto(tmp);
            if (Thread.currentThread().isInterrupted()) {
                throw new IOException("interrupted while saving " + abs + "; nothing was changed");
            }
            Set<String> files = listFiles(tmp);
            files.remove(MANIFEST);
            if (kind.marker() != null) {
                AtomicFiles.write(tmp.resolve(MANIFEST), manifest(kind, files));
            }
            if (state.own() == null) { // new or empty
                try {
                    TempFiles.moveIntoPlace(tmp, abs, Files.exists(abs, LinkOption.NOFOLLOW_LINKS));
                    return;
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                    state = inspect(abs, kind, existing); // something appeared meanwhile: merge if allowed
                    if (state.own() == null) {
                        throw e;
                    }
                }
            }
            merge(tmp, abs, kind, state.own(), files);
        } finally {
            TempFiles.delete(tmp);
        }
    }

    /**
     * Checks, before any long work, that {@link #write} would save at {@code target}: refuses what it would refuse,
     * and creates (and deletes) a temporary directory beside the target and, for a previous save, a temporary file
     * in it, so that a read-only or forbidden place is reported now.
     */
    public static void checkWritable(Path target, Kind kind, Existing existing) throws IOException {
        Path abs = absolute(target);
        Target state = inspect(abs, kind, existing);
        Path parent = abs.getParent();
        Path probeAt = abs;
        while (!Files.isDirectory(parent)) { // the save creates missing parents; probe the nearest one that exists
            if (Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(parent.toString(), null, "is not a directory; cannot save " + abs + " in it");
            }
            probeAt = parent;
            parent = parent.getParent();
            if (parent == null) {
                throw new NoSuchFileException(abs.toString(), null, "no existing directory above it");
            }
        }
        TempFiles.delete(TempFiles.createDirectory(probeAt));
        if (state.own() != null || Files.isDirectory(abs)) {
            TempFiles.delete(TempFiles.createFile(abs.resolve(kind.marker() != null ? kind.marker() : MANIFEST)));
        }
    }

    /** Whether {@code dir} holds a save of {@code kind} (with a manifest, or a legacy one with its marker). */
    public static boolean isSave(Path dir, Kind kind) throws IOException {
        return kind.marker() != null && ownFiles(absolute(dir), kind) != null;
    }

    private static Path absolute(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        if (abs.getParent() == null || abs.getFileName() == null) {
            throw new IOException("cannot save into the file-system root " + abs);
        }
        return abs;
    }

    /** The target as found: own is null for a new or empty directory, else Graft's files in the previous save. */
    private record Target(Set<String> own) {
    }

    private static Target inspect(Path abs, Kind kind, Existing existing) throws IOException {
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return new Target(null);
        }
        if (!Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(abs.toString(), null, "exists and is not a directory; refusing to save into it (nothing was changed)");
        }
        try (Stream<Path> entries = Files.list(abs)) {
            if (entries.findAny().isEmpty()) {
                return new Target(null);
            }
        }
        Set<String> own = kind.marker() == null ? null : ownFiles(abs, kind);
        if (own == null && kind.marker() == null) {
            throw new FileAlreadyExistsException(abs.toString(), null, "exists and is not an empty directory;"
                    + " refusing to write into it (nothing was changed)");
        }
        if (own == null) {
            throw new FileAlreadyExistsException(abs.toString(), null, "is not empty and holds no saved " + kind.name()
                    + "; refusing to overwrite it (nothing was changed; choose a new or empty directory)");
        }
        if (existing == Existing.REFUSE) {
            throw new FileAlreadyExistsException(abs.toString(), null, "holds a saved " + kind.name()
                    + "; not replacing it (nothing was changed)");
        }
        return new Target(own);
    }

    /** Graft's files in a previous save of {@code kind} at {@code dir}, or null when it is none. */
    private static Set<String> ownFiles(Path dir, Kind kind) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)) {
            JsonNode root;
            try {
                root = JSON.readTree(manifest.toFile());
            } catch (IOException e) {
                throw new IOException(manifest + ": unreadable list of the files Graft saved (" + e.getMessage()
                        + "); not replacing anything in " + dir, e);
            }
            if (!FORMAT.equals(root.path("format").asText()) || !kind.name().equals(root.path("kind").asText())) {
                return null;
            }
            Set<String> own = new TreeSet<>();
            for (JsonNode f : root.path("files")) {
                String name = f.asText();
                Path p = dir.resolve(name).normalize();
                if (!p.startsWith(dir) || p.equals(dir)) {
                    throw new IOException(manifest + ": lists '" + name + "', outside the directory; not replacing anything");
                }
                own.add(name);
            }
            return own;
        }
        if (kind.marker() == null || !Files.isRegularFile(dir.resolve(kind.marker()), LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        Set<String> own = new TreeSet<>();
        for (String name : listFiles(dir)) {
            if (name.equals(kind.marker()) || kind.legacyFiles().contains(name)
                    || kind.legacyFiles().stream().anyMatch(l -> l.endsWith("/") && name.startsWith(l))) {
                own.add(name);
            }
        }
        return own;
    }

    /**
     * Moves the new save's files into the previous save's directory one by one and removes the previous save's
     * files the new one does not have; everything else in the directory stays.
     */
    private static void merge(Path tmp, Path abs, Kind kind, Set<String> own, Set<String> files) throws IOException {
        for (String f : files) {
            Path at = abs.resolve(f);
            if (Files.exists(at, LinkOption.NOFOLLOW_LINKS) && (!own.contains(f) || Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS))) {
                throw new FileAlreadyExistsException(at.toString(), null, "was not written by Graft; not replacing it"
                        + " (nothing was changed; move it away or save elsewhere)");
            }
        }
        Set<String> all = new TreeSet<>(own);
        all.addAll(files);
        AtomicFiles.write(abs.resolve(MANIFEST), manifest(kind, all)); // covers both saves until the end
        if (kind.marker() != null) {
            Files.deleteIfExists(abs.resolve(kind.marker()));
        }
        List<String> order = new ArrayList<>(files);
        order.sort(Comparator.comparing((String f) -> f.equals(kind.marker())).thenComparing(Comparator.naturalOrder()));
        for (String f : order) {
            Path at = abs.resolve(f);
            Files.createDirectories(at.getParent());
            TempFiles.moveIntoPlace(tmp.resolve(f), at, true);
        }
        for (String f : own) {
            if (!files.contains(f)) {
                Path at = abs.resolve(f);
                Files.deleteIfExists(at);
                for (Path d = at.getParent(); !d.equals(abs) && isEmptyDirectory(d); d = d.getParent()) {
                    Files.deleteIfExists(d);
                }
            }
        }
        AtomicFiles.write(abs.resolve(MANIFEST), manifest(kind, files));
    }

    private static boolean isEmptyDirectory(Path d) throws IOException {
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.findAny().isEmpty();
        }
    }

    /** Regular files under {@code dir}, as relative paths with '/' separators. */
    private static Set<String> listFiles(Path dir) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted()
                    .forEach(p -> out.add(dir.relativize(p).toString().replace(dir.getFileSystem().getSeparator(), "/")));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    private static byte[] manifest(Kind kind, Set<String> files) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("kind", kind.name());
        files.stream().sorted().forEach(root.putArray("files")::add);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    }
}
