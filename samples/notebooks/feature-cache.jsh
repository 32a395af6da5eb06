// The feature cache: backbone outputs written once as Arrow IPC files, read back memory-mapped.
// Run from the project root:  samples/notebook samples/notebooks/feature-cache.jsh
import dev.graft.adapters.compose.*;
import dev.graft.adapters.features.*;
import dev.graft.adapters.head.*;
import dev.graft.backbones.Backbones;
import dev.graft.core.backbone.Pooling;
import dev.graft.core.tensor.*;
import java.nio.file.*;
import java.util.*;

var backbone = Backbones.builder("all-minilm-l6-v2").optThreads(2).optMaxLength(128).build();
var cache = new FeatureCache(Files.createTempDirectory("graft-features"));
var texts = new Inputs.Texts(List.of("How do I activate my card?", "Is there a fee for top-ups?", "My PIN is blocked"));

// Mean-pooled states of every layer (embeddings + 6 layers): one row of [7, 384] per text.
var kind = new FeatureKind.Pooled(Pooling.MEAN, LayerSelection.MIX);
var first = cache.features(backbone, texts, kind, 32, FeatureCache.Progress.NONE);
System.out.println(first);                       // extracted: the backbone ran
Path file = first.path();
first.close();
var second = cache.features(backbone, texts, kind, 32, FeatureCache.Progress.NONE);
System.out.println(second.fromCache());          // true: the same data and model reuse the file
float[] row = new float[second.rowSize()];
second.features(0, row, 0);
System.out.printf("text %d, first values %.4f %.4f %.4f%n", second.input(0), row[0], row[1], row[2]);
second.close();

// It is a plain Arrow IPC file: columns "features" (arrow.fixed_shape_tensor<float32>[7, 384]) and
// "position" ([2]: input, word). Any Arrow reader (pyarrow too) can open it; here Graft's own, mapped.
try (var arena = TensorArena.root("notebook"); var reader = TensorFiles.open(file, arena.allocator())) {
    System.out.println(reader.schema());
    reader.loadBatch(0);
    Tensor features = reader.tensor("features", arena);
    System.out.println(features.describe());     // read-only view over the mapped file, no copy
}
backbone.close();
/exit
