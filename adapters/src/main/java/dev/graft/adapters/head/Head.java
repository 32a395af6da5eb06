package dev.graft.adapters.head;

import dev.graft.adapters.nn.Layer;
import dev.graft.adapters.nn.Parameter;
import java.util.List;

/**
 * A small task module that reads the frozen backbone's output. A head is its {@link HeadConfig} (architecture,
 * labels), the {@link BackboneInfo} it was built for, and a {@link Layer} network whose parameters training
 * sets. Once built into a composed model a head is never modified, so {@link #apply} may run on many threads.
 */
public interface Head {

    /** The head type's registry name, e.g. {@code classification}. */
    String type();

    HeadConfig config();

    /** The backbone this head was built (and trained) for. */
    BackboneInfo backbone();

    /** The features the head reads. */
    FeatureKind input();

    /** The trainable network: feature rows in, raw outputs (logits, scores, vectors) out. */
    Layer network();

    default List<Parameter> parameters() {
        return network().parameters();
    }

    /** Number of trainable floats. */
    default long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.size();
        }
        return n;
    }

    /** Runs the head on one call's features. */
    HeadOutput apply(Features features);
}
