package dev.graft.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * "Allocates nothing per call once warm", checked so that a busy machine cannot change the verdict. The calls run
 * in a child JVM ({@link ForkedJvm}) with C2 only and blocking compilation ({@link JitMode#C2}): warm-up cannot
 * outrun a starved compiler, so after a given number of calls the same code is compiled. For each case the child
 * <ol>
 *   <li>calls it in rounds of {@link Case#calls()} until its root (the case's {@code Runnable} or {@code Consumer}
 *       itself, called from interpreted code) and the methods the case names have C2 code ({@link CompiledCode}, bounded: a case never compiled is reported as such, with what
 *       is compiled);</li>
 *   <li>counts the bytes allocated by {@link Case#calls()} more calls on the calling thread (and on the case's other
 *       threads, e.g. a compute pool's workers), with {@code ThreadMXBean#getThreadAllocatedBytes}, and takes the
 *       count only if nothing was compiled or deoptimized meanwhile (the code list before and after is the same);
 *       unless it reads 0, it warms up one more round and measures again (at most {@value #MAX_MEASUREMENTS}
 *       times).</li>
 * </ol>
 * The JIT runs with its default thresholds, so the code measured is compiled from profiles as mature as in
 * production (with much lower thresholds C2 compiled {@code VectorKernels.softmax} from a young profile into code
 * that boxes vectors: 4032 bytes per call).
 * The test class gets one {@link DynamicTest} per case: zero bytes passes; anything else fails with the bytes per
 * call and the JIT state it was measured in, so a failure means the compiled code allocates (or the JIT could not
 * compile it), never that the machine was slow. Use it from a {@code @TestFactory}:
 * {@snippet :
 * @TestFactory
 * Stream<DynamicTest> allocatesNothingPerCallOnceWarm() throws Exception {
 *     return ZeroAllocation.inForkedJvm(Cases.class); // Cases implements Supplier<List<ZeroAllocation.Case>>
 * }
 * }
 * The supplier class needs a no-argument constructor; it runs in the child only, and sets up what its calls use.
 */
public final class ZeroAllocation {
    private static final String RESULT = "@@zero-allocation";
    private static final String DONE = "@@zero-allocation-done";
    /** Warm-up calls before a case that is still not compiled is reported. */
    private static final long MAX_WARM_CALLS = 100_000;
    /**
     * Measurements of a compiled case: it passes if one of them is steady (no JIT change) and reads 0 bytes. A call
     * that allocates does so in every measurement; a one-off event (an uncommon trap that keeps the compiled code
     * and finishes one call in the interpreter) allocates in one only.
     */
    private static final int MAX_MEASUREMENTS = 10;

    private ZeroAllocation() {
    }

    /**
     * One call to check.
     *
     * @param name how the test reports it
     * @param calls calls per warm-up round and per measurement
     * @param call the call, {@code call.accept(argument)}; its class is the root that must be C2-compiled (the
     *        child calls it from interpreted code, so it is compiled on its own, not inlined into a caller)
     * @param argument what the call is given
     * @param compiled further methods ({@link CompiledCode.Entry#method} form) that must have C2 code before measuring
     * @param otherThreads ids of other threads whose allocation counts too (a compute pool's workers)
     */
    public record Case(String name, int calls, Consumer<Object> call, Object argument, List<String> compiled,
                       long[] otherThreads) {
        public Case {
            if (name.contains("\t") || name.contains("\n")) {
                throw new IllegalArgumentException("a case name has no tab or line break: " + name);
            }
            compiled = List.copyOf(compiled);
            otherThreads = otherThreads.clone();
        }

        /** {@code call.accept(argument)}, measured on the calling thread only. */
        @SuppressWarnings("unchecked")
        public static <T> Case of(String name, int calls, Consumer<? super T> call, T argument) {
            return new Case(name, calls, (Consumer<Object>) call, argument, List.of(), new long[0]);
        }

        /** {@code call.run()}, measured on the calling thread only. */
        public static Case of(String name, int calls, Runnable call) {
            return of(name, calls, RUN, call);
        }

        /** This case, with the allocation of threads {@code ids} counted too. */
        public Case alsoOnThreads(long... ids) {
            return new Case(name, calls, call, argument, compiled, ids);
        }

        /** This case, requiring C2 code of {@code methods} too (e.g. kernels that other threads run). */
        public Case compiled(String... methods) {
            return new Case(name, calls, call, argument, List.of(methods), otherThreads);
        }

        /** The method that must be C2-compiled: the Runnable's {@code run}, else the Consumer's {@code accept}. */
        String root() {
            return call == RUN ? argument.getClass().getName() + ".run" : call.getClass().getName() + ".accept";
        }
    }

    /** Runs a Runnable; a class of its own, excluded from compilation with the rest of ZeroAllocation. */
    private static final Consumer<Runnable> RUN_RUNNABLE = new Consumer<>() {
        @Override
        public void accept(Runnable r) {
            r.run();
        }
    };
    @SuppressWarnings("unchecked")
    private static final Consumer<Object> RUN = (Consumer<Object>) (Consumer<?>) RUN_RUNNABLE;

    /** What the child reported for a case. */
    private record Result(String name, String status, long callerBytes, long otherBytes, int calls, long warmCalls,
                          int measurements, String detail) {
        static Result parse(String line) {
            String[] f = line.split("\t", -1);
            return new Result(f[1], f[2], Long.parseLong(f[3]), Long.parseLong(f[4]), Integer.parseInt(f[5]),
                    Long.parseLong(f[6]), Integer.parseInt(f[7]), f[8]);
        }

        String format() {
            return String.join("\t", RESULT, name, status, Long.toString(callerBytes), Long.toString(otherBytes),
                    Integer.toString(calls), Long.toString(warmCalls), Integer.toString(measurements),
                    detail.replace('\t', ' ').replace('\n', ' '));
        }

        void check() {
            System.out.printf("%s: %s, %d + %d bytes over %d calls, %d warm-up calls, %d measurement(s)%n", name, status,
                    callerBytes, otherBytes, calls, warmCalls, measurements);
            switch (status) {
                case "measured" -> {
                    assertThat(callerBytes).as("%s: bytes allocated on the calling thread by %d warm calls (%.2f per call); %s",
                            name, calls, callerBytes / (double) calls, detail).isZero();
                    assertThat(otherBytes).as("%s: bytes allocated on the case's other threads by %d warm calls (%.2f per call); %s",
                            name, calls, otherBytes / (double) calls, detail).isZero();
                }
                case "not-compiled" -> throw new AssertionError(name + ": after " + warmCalls
                        + " warm-up calls in a C2-only JVM with blocking compilation, no C2 code yet for " + detail);
                case "not-steady" -> throw new AssertionError(name + ": code was compiled or deoptimized during each of "
                        + measurements + " measurements (after " + warmCalls + " warm-up calls); last changes: " + detail);
                default -> throw new AssertionError(name + ": the check failed in the child JVM: " + detail);
            }
        }
    }

    /**
     * Runs the cases of {@code cases} in a child JVM ({@link JitMode#C2}) and returns one test per case. Fails at
     * once, with the child's output, if the child fails or reports no cases.
     */
    public static Stream<DynamicTest> inForkedJvm(Class<? extends Supplier<List<Case>>> cases) throws Exception {
        return inForkedJvm(cases, 1.0);
    }

    /**
     * As {@link #inForkedJvm(Class)}, with the compile thresholds of the test class's own methods (the cases' roots
     * and lambdas, in the top-level class of {@code cases}; not the code under test) scaled by {@code rootScaling}:
     * for a case whose every call is long (a round of GEMMs) and whose root only loops over the calls under test.
     */
    public static Stream<DynamicTest> inForkedJvm(Class<? extends Supplier<List<Case>>> cases, double rootScaling)
            throws Exception {
        List<String> options = new ArrayList<>(List.of(
                "-XX:CompileCommand=exclude," + ZeroAllocation.class.getName() + "::*",
                "-XX:CompileCommand=exclude," + RUN_RUNNABLE.getClass().getName() + "::*"));
        if (rootScaling != 1.0) {
            Class<?> top = cases;
            while (top.getEnclosingClass() != null) {
                top = top.getEnclosingClass();
            }
            options.add(String.format(Locale.ROOT, "-XX:CompileCommand=CompileThresholdScaling,%s*::*,%s", top.getName(), rootScaling));
        }
        ForkedJvm.Output out = ForkedJvm.run(JitMode.C2, 1.0, options, ZeroAllocation.class, cases.getName());
        List<Result> results = out.lines().stream().filter(l -> l.startsWith(RESULT + "\t")).map(Result::parse).toList();
        assertThat(out.lines()).as("the child's report on %s: %s", cases.getName(), out.describe())
                .contains(DONE + "\t" + results.size());
        assertThat(results).as("cases of %s", cases.getName()).isNotEmpty();
        return results.stream().map(r -> DynamicTest.dynamicTest(r.name(), r::check));
    }

    /** The child: {@code args[0]} names the {@code Supplier<List<Case>>}; prints one result line per case. */
    public static void main(String[] args) throws Exception {
        CompiledCode.requireMode(JitMode.C2);
        Constructor<?> constructor = Class.forName(args[0]).getDeclaredConstructor();
        constructor.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<Case> cases = ((Supplier<List<Case>>) constructor.newInstance()).get();
        Set<String> names = new HashSet<>();
        for (Case c : cases) {
            if (!names.add(c.name())) {
                throw new IllegalArgumentException("two cases named " + c.name());
            }
            Result result;
            try {
                result = measure(c);
            } catch (RuntimeException | Error e) {
                result = new Result(c.name(), "error", 0, 0, c.calls(), 0, 0, e.toString());
            }
            System.out.println(result.format());
        }
        System.out.println(DONE + "\t" + cases.size());
    }

    private static Result measure(Case c) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        List<String> required = new ArrayList<>();
        required.add(c.root());
        required.addAll(c.compiled());
        long warm = 0;
        List<String> missing = required;
        while (!missing.isEmpty() && warm < MAX_WARM_CALLS) {
            repeat(c, c.calls());
            warm += c.calls();
            missing = CompiledCode.now().missing(required, JitMode.C2.level());
        }
        if (!missing.isEmpty()) {
            return new Result(c.name(), "not-compiled", 0, 0, c.calls(), warm, 0, missing
                    + "; Graft methods with code: " + CompiledCode.now().methodsStartingWith("dev.graft."));
        }
        Result steady = null;
        List<String> changes = List.of();
        List<String> windows = new ArrayList<>(); // what each measurement saw, for the report
        for (int m = 1; m <= MAX_MEASUREMENTS; m++) {
            CompiledCode before = CompiledCode.now();
            long others0 = sum(mx.getThreadAllocatedBytes(c.otherThreads()));
            long caller0 = mx.getCurrentThreadAllocatedBytes();
            repeat(c, c.calls());
            long caller1 = mx.getCurrentThreadAllocatedBytes();
            long overhead = mx.getCurrentThreadAllocatedBytes() - caller1; // what one reading costs, normally 0
            long others1 = sum(mx.getThreadAllocatedBytes(c.otherThreads()));
            changes = CompiledCode.now().changesSince(before);
            long callerBytes = caller1 - caller0 - overhead;
            long otherBytes = others1 - others0;
            windows.add(changes.isEmpty() ? callerBytes + "+" + otherBytes + " B" : "JIT changed");
            if (changes.isEmpty()) {
                steady = new Result(c.name(), "measured", callerBytes, otherBytes, c.calls(), warm, m,
                        String.format(Locale.ROOT, "measured after %d warm-up calls in a C2-only JVM (-Xbatch) with %s "
                                + "C2-compiled and nothing compiled or deoptimized during the measured calls; bytes "
                                + "(caller+others) in measurements 1..%d: %s", warm, required, m, windows));
                if (callerBytes == 0 && otherBytes == 0) {
                    return steady;
                }
            }
            repeat(c, c.calls());
            warm += c.calls();
        }
        return steady != null ? steady : new Result(c.name(), "not-steady", 0, 0, c.calls(), warm, MAX_MEASUREMENTS,
                changes.toString());
    }

    /** Interpreted (excluded from compilation), so the root is called, not inlined, and compiled on its own. */
    private static void repeat(Case c, int times) {
        Consumer<Object> call = c.call();
        Object argument = c.argument();
        for (int i = 0; i < times; i++) {
            call.accept(argument);
        }
    }

    private static long sum(long[] values) {
        long s = 0;
        for (long v : values) {
            s += v;
        }
        return s;
    }
}
