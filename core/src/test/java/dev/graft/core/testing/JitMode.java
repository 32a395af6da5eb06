package dev.graft.core.testing;

import java.util.List;

/**
 * How a child JVM started by {@link ForkedJvm} executes Java code. The compiled modes make every compilation block
 * the thread that asked for it ({@code -Xbatch}), so a busy machine (a starved compiler queue) cannot leave a hot
 * method interpreted or at a lower tier: what is compiled after a given number of calls depends on the calls, not on
 * time. {@link CompiledCode} checks in the child which mode it runs in and which methods have code at which level.
 */
public enum JitMode {
    /** {@code -Xint}: nothing is compiled (every Vector API call runs its Java fallback). */
    INTERPRETED(0, List.of("-Xint")),
    /** C1 only ({@code -XX:TieredStopAtLevel=1}, level 1), compilations blocking. */
    C1(1, List.of("-Xbatch", "-XX:TieredStopAtLevel=1")),
    /** C2 only ({@code -XX:-TieredCompilation}, level 4, Vector API intrinsics), compilations blocking. */
    C2(4, List.of("-Xbatch", "-XX:-TieredCompilation"));

    private final int level;
    private final List<String> flags;

    JitMode(int level, List<String> flags) {
        this.level = level;
        this.flags = flags;
    }

    /** The compilation level of the code this mode produces, as {@code Compiler.codelist} reports it (0: none). */
    public int level() {
        return level;
    }

    /** The JVM options that select this mode. */
    public List<String> flags() {
        return flags;
    }
}
