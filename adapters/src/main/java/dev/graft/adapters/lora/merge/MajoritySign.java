package dev.graft.adapters.lora.merge;

import java.util.Locale;

/**
 * How TIES elects the sign of each element across the task tensors (PEFT's {@code majority_sign_method}): the sign of
 * the elements' sum ({@link #TOTAL}) or of the count of positive minus negative elements ({@link #FREQUENCY}); a sum
 * of exactly 0 elects +.
 */
public enum MajoritySign {
    TOTAL,
    FREQUENCY;

    /** PEFT's name: "total", "frequency". */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming the known methods
     */
    public static MajoritySign parse(String name) {
        for (MajoritySign m : values()) {
            if (m.peftName().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown majority sign method '" + name + "' (known: total, frequency)");
    }
}
