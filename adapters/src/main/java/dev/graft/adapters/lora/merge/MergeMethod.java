package dev.graft.adapters.lora.merge;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * PEFT's {@code combination_type}s. Per method: which tensors it combines, whether it needs {@code density} and the
 * majority sign, whether the adapters need equal ranks, and the rank of the result.
 *
 * <ul>
 *   <li>A and B methods ({@link #LINEAR}, {@link #TIES}, {@link #DARE_LINEAR}, {@link #DARE_TIES},
 *       {@link #MAGNITUDE_PRUNE}) combine the A matrices and the B matrices separately, with weight
 *       {@code sign(wᵢsᵢ)·√|wᵢsᵢ|} on Aᵢ and {@code √|wᵢsᵢ|} on Bᵢ (sᵢ the adapter's scaling): equal ranks needed,
 *       the result has that rank. Only for one adapter (or for B·A products that happen to align) is B'·A' equal to
 *       Σ wᵢ·ΔWᵢ; that is PEFT's definition, not an exact sum.</li>
 *   <li>{@link #CAT} stacks {@code wᵢsᵢ·Aᵢ} and {@code Bᵢ}: rank Σ rᵢ, exact ({@code B'·A' = Σ wᵢ·ΔWᵢ}).</li>
 *   <li>SVD methods combine the full updates {@code ΔWᵢ = sᵢ·Bᵢ·Aᵢ} with weights wᵢ, then keep the top singular
 *       pairs: rank {@code svdRank}, by default the largest of the adapters' ranks; ranks may differ.</li>
 * </ul>
 */
public enum MergeMethod {
    LINEAR(Combine.TASK_ARITHMETIC, false),
    CAT(null, false),
    SVD(Combine.TASK_ARITHMETIC, true),
    TIES(Combine.TIES, false),
    TIES_SVD(Combine.TIES, true),
    DARE_LINEAR(Combine.DARE_LINEAR, false),
    DARE_TIES(Combine.DARE_TIES, false),
    DARE_LINEAR_SVD(Combine.DARE_LINEAR, true),
    DARE_TIES_SVD(Combine.DARE_TIES, true),
    MAGNITUDE_PRUNE(Combine.MAGNITUDE_PRUNE, false),
    MAGNITUDE_PRUNE_SVD(Combine.MAGNITUDE_PRUNE, true);

    /** The {@code merge_utils} function a method applies to its task tensors. */
    enum Combine {
        TASK_ARITHMETIC, TIES, DARE_LINEAR, DARE_TIES, MAGNITUDE_PRUNE
    }

    private final Combine combine;
    private final boolean svd;

    MergeMethod(Combine combine, boolean svd) {
        this.combine = combine;
        this.svd = svd;
    }

    Combine combine() {
        return combine;
    }

    /** Whether the result is a truncated SVD of the combined full updates. */
    public boolean svd() {
        return svd;
    }

    /** PEFT's name: "linear", "ties_svd", … */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the method prunes and so needs {@code density} (ties, dare_*, magnitude_prune, and their _svd forms). */
    public boolean needsDensity() {
        return combine != null && combine != Combine.TASK_ARITHMETIC;
    }

    /** Whether the method elects a majority sign (ties, dare_ties and their _svd forms). */
    public boolean usesMajoritySign() {
        return combine == Combine.TIES || combine == Combine.DARE_TIES;
    }

    /** Whether the method draws random masks (dare_*): the result depends on the seed. */
    public boolean random() {
        return combine == Combine.DARE_LINEAR || combine == Combine.DARE_TIES;
    }

    /** Whether every adapter must have the same rank (the methods that combine A and B separately). */
    public boolean needsEqualRanks() {
        return this != CAT && !svd;
    }

    /**
     * @throws IllegalArgumentException naming the known methods
     */
    public static MergeMethod parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (MergeMethod m : values()) {
            if (m.peftName().equals(n)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown merge method '" + name + "' (known: " + names() + ")");
    }

    /** "linear, cat, svd, …" */
    public static String names() {
        return Arrays.stream(values()).map(MergeMethod::peftName).collect(Collectors.joining(", "));
    }
}
