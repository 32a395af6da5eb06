package dev.graft.samples.cli;

import dev.graft.core.kernels.Activation;
import dev.graft.core.kernels.Kernels;
import dev.graft.core.tensor.DType;
import dev.graft.core.tensor.Tensor;
import dev.graft.core.tensor.TensorArena;
import dev.graft.core.tensor.TensorFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code tensors}: a tour of Graft's foundation — tensors in an arena over Arrow memory, a fused GEMM and a layer
 * norm on the Vector API kernels, an Arrow IPC file written and read back memory-mapped.
 */
final class TensorsCommand implements GraftCli.FlagCommand {

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of(OutputTargets.OVERWRITE);
    }

    @Override
    public String name() {
        return "tensors";
    }

    @Override
    public String summary() {
        return "demo of the foundation: Arrow-backed tensors, kernels, an Arrow IPC feature file read back mapped";
    }

    @Override
    public String usage() {
        return """
                usage: samples/graft tensors [--output FILE.arrow [--overwrite]] [--threads N]

                Makes a batch of random features in an arena over Arrow memory, runs a linear layer with fused
                bias + GELU and a layer norm on the selected kernels, writes the result to an Arrow IPC file
                (column "features", type arrow.fixed_shape_tensor) and reads it back memory-mapped.

                options:
                  --output FILE.arrow  where to write (default: a temporary file, deleted afterwards)
                  --threads N          kernel threads (default: all processors)
                """ + OutputTargets.USAGE;
    }

    @Override
    public int run(Options o, PrintStream out, PrintStream err) throws Exception {
        String output = o.get("output", null);
        int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        boolean overwrite = o.flag(OutputTargets.OVERWRITE);
        o.rejectUnknown();
        if (output != null) {
            OutputTargets.checkFile(Path.of(output), overwrite);
        }
        Path file = output != null ? Path.of(output) : Files.createTempFile("graft-demo", ".arrow");
        int batch = 8;
        int in = 384;
        int hidden = 96;
        try (Kernels k = Kernels.create(threads); TensorArena arena = TensorArena.root("demo")) {
            SplittableRandom rnd = new SplittableRandom(42);
            Tensor x = arena.allocate(DType.F32, batch, in);
            Tensor w = arena.allocate(DType.F32, in, hidden);
            Tensor b = arena.allocate(DType.F32, hidden);
            fill(x, rnd, 1.0);
            fill(w, rnd, 1.0 / Math.sqrt(in));
            fill(b, rnd, 0.1);
            Tensor gamma = arena.allocate(DType.F32, hidden);
            Tensor beta = arena.allocate(DType.F32, hidden);
            for (int i = 0; i < hidden; i++) {
                gamma.setFloat(i, 1f);
            }
            Tensor y = arena.allocateUninitialized(DType.F32, batch, hidden);
            // y = LayerNorm(GELU(x·W + b))
            k.gemm(batch, hidden, in, x.segment(), 0, in, w.segment(), 0, hidden, false, b.segment(), 0,
                    Activation.GELU, false, y.segment(), 0, hidden);
            k.layerNorm(batch, hidden, y.segment(), 0, gamma.segment(), 0, beta.segment(), 0, 1e-12f, y.segment(), 0);
            out.printf(Locale.ROOT, "kernels: %s × %d threads%n", k.name(), k.threads());
            out.printf(Locale.ROOT, "x %s  ·  W %s  + b, GELU, LayerNorm  →  y %s  (arena holds %,d bytes of Arrow memory)%n",
                    x.describe(), w.describe(), y.describe(), arena.allocatedBytes());

            TensorFiles.write(file, Map.of("features", y));
            out.printf(Locale.ROOT, "wrote %s (%,d bytes): column \"features\", arrow.fixed_shape_tensor float32 [%d], %d rows%n",
                    file, Files.size(file), hidden, batch);

            try (TensorArena readBack = arena.child("read")) {
                Tensor z = TensorFiles.read(file, readBack).get("features");
                float[] a = y.toFloatArray();
                float[] c = z.toFloatArray();
                boolean same = java.util.Arrays.equals(a, c);
                out.printf(Locale.ROOT, "read back %s memory-mapped (read-only: %s); values identical: %s%n", z.describe(), z.isReadOnly(), same);
                if (!same) {
                    return 1;
                }
            }
        } finally {
            if (output == null) {
                Files.deleteIfExists(file);
            }
        }
        return 0;
    }

    private static void fill(Tensor t, SplittableRandom rnd, double scale) {
        for (long i = 0; i < t.elementCount(); i++) {
            t.setFloat(i, (float) (rnd.nextGaussian() * scale));
        }
    }
}
