package dev.graft.adapters.lora.merge;

/**
 * How to merge: the method and the parameters it uses. A parameter the method would ignore is refused rather than
 * silently dropped.
 *
 * @param method       PEFT's {@code combination_type}
 * @param density      the share of elements kept, in (0, 1], for the methods that prune ({@link
 *                     MergeMethod#needsDensity()}); null otherwise. 1 prunes nothing (PEFT's {@code prune})
 * @param majoritySign TIES' sign election ({@link MergeMethod#usesMajoritySign()}); null = {@link MajoritySign#TOTAL}
 *                     for those, and must be null for the others
 * @param svdRank      the rank of an SVD method's result, or null for the largest of the adapters' ranks (PEFT's
 *                     {@code svd_rank}); must be null for the other methods
 * @param seed         DARE's random masks (the dare_* methods); reproducible for one seed, not PEFT's torch draws
 */
public record MergeSpec(MergeMethod method, Double density, MajoritySign majoritySign, Integer svdRank, long seed) {
    public MergeSpec {
        java.util.Objects.requireNonNull(method, "method");
        if (method.needsDensity()) {
            if (density == null) {
                throw new IllegalArgumentException(method.peftName() + " needs a density in (0, 1] (the share of each"
                        + " tensor's elements it keeps)");
            }
            if (!(density > 0 && density <= 1)) {
                throw new IllegalArgumentException("density must be in (0, 1], got " + density + " (0 would prune"
                        + " everything)");
            }
        } else if (density != null) {
            throw new IllegalArgumentException(method.peftName() + " does not prune; density applies to "
                    + densityMethods());
        }
        if (majoritySign != null && !method.usesMajoritySign()) {
            throw new IllegalArgumentException(method.peftName() + " elects no sign; the majority sign method applies to"
                    + " ties, ties_svd, dare_ties and dare_ties_svd");
        }
        if (majoritySign == null && method.usesMajoritySign()) {
            majoritySign = MajoritySign.TOTAL;
        }
        if (svdRank != null && (!method.svd() || svdRank < 1)) {
            throw new IllegalArgumentException(method.svd() ? "the SVD rank must be at least 1, got " + svdRank
                    : method.peftName() + " is not an SVD method; the SVD rank applies to the *_svd methods and svd");
        }
    }

    /** A method without parameters (linear, cat, svd). */
    public static MergeSpec of(MergeMethod method) {
        return new MergeSpec(method, null, null, null, 0);
    }

    /** A pruning method with its density (majority sign total, seed 0). */
    public static MergeSpec of(MergeMethod method, double density) {
        return new MergeSpec(method, density, null, null, 0);
    }

    private static String densityMethods() {
        return java.util.Arrays.stream(MergeMethod.values()).filter(MergeMethod::needsDensity).map(MergeMethod::peftName)
                .collect(java.util.stream.Collectors.joining(", "));
    }
}
