package dev.graft.adapters.testing;

import dev.graft.adapters.adapter.Adapter;
import dev.graft.adapters.nn.Parameter;
import java.util.Random;

/** What adapter tests share. */
public final class AdapterTesting {
    private AdapterTesting() {
    }

    /** Sets every parameter to random values of about {@code scale} (around 1 for (IA)³ scalings). */
    public static void randomize(Adapter a, long seed, double scale) {
        Random r = new Random(seed);
        for (Parameter p : a.parameters()) {
            float[] v = p.values();
            boolean scaling = p.name().endsWith("ia3_l");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((scaling ? 1 : 0) + r.nextGaussian() * scale);
            }
        }
    }
}
